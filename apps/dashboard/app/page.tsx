'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { Loading } from '@/components/ui';

/** The shell sends signed-out visitors to /login; everyone else starts at their sessions. */
export default function Home() {
  const router = useRouter();
  useEffect(() => router.replace('/sessions'), [router]);
  return <Loading />;
}
