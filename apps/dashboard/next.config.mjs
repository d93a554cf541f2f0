import { fileURLToPath } from 'node:url';

/** Static export: the gateway serves `out/` at /, so there is no Next server and no server-side secret. */
const nextConfig = {
  output: 'export',
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
  // The workspace root holds the lockfile; pinning it keeps Turbopack from guessing.
  turbopack: { root: fileURLToPath(new URL('../../', import.meta.url)) },
};

export default nextConfig;
