import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookUrl, isForbiddenAddress, type Lookup } from './ssrf-guard.js';
import { createWebhookSender } from './webhook-sender.js';

/** A fake resolver: the names below answer what an attacker's DNS would. */
const answers: Record<string, string[]> = {
  'internal.attacker.test': ['10.0.0.5'],
  'loopback.attacker.test': ['127.0.0.1'],
  'metadata.attacker.test': ['169.254.169.254'],
  'v6loop.attacker.test': ['::1'],
  'mixed.attacker.test': ['93.184.216.34', '192.168.1.10'],
  'cgnat.attacker.test': ['100.64.0.1'],
  'mapped.attacker.test': ['::ffff:127.0.0.1'],
  'public.example.test': ['93.184.216.34'],
};
const fakeLookup: Lookup = async (hostname) => {
  const list = answers[hostname];
  if (!list) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const strict = { allowPrivateNetworks: false, lookup: fakeLookup };

const REFUSED_URLS = [
  'http://127.0.0.1/',
  'http://localhost:8080/hook',
  'http://foo.localhost/',
  'http://2130706433/', // decimal 127.0.0.1
  'http://0177.0.0.1/', // octal
  'http://0x7f.0x0.0x0.0x1/', // hex
  'http://0x7f000001/',
  'http://127.1/',
  'http://0.0.0.0/',
  'http://[::1]/',
  'http://[::]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[0:0:0:0:0:ffff:7f00:1]/',
  'http://169.254.169.254/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://[fd00:ec2::254]/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.0.1/',
  'http://100.64.1.1/', // CGNAT
  'http://224.0.0.1/', // multicast
  'http://255.255.255.255/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://[64:ff9b::7f00:1]/', // NAT64 of 127.0.0.1
  'http://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
  'http://internal.attacker.test/',
  'http://loopback.attacker.test/',
  'http://metadata.attacker.test/',
  'http://v6loop.attacker.test/',
  'http://mixed.attacker.test/',
  'http://cgnat.attacker.test/',
  'http://mapped.attacker.test/',
  'http://does-not-resolve.test/',
  'ftp://public.example.test/',
  'file:///etc/passwd',
  'gopher://public.example.test/',
  'http://user:pass@public.example.test/',
];

describe('checkWebhookUrl', () => {
  it.each(REFUSED_URLS)('refuses %s', async (url) => {
    expect(await checkWebhookUrl(url, strict)).not.toBeNull();
  });

  it('refuses at least 20 distinct SSRF payloads', () => {
    expect(new Set(REFUSED_URLS).size).toBeGreaterThanOrEqual(20);
  });

  it('accepts a public address and a name resolving only to public addresses', async () => {
    expect(await checkWebhookUrl('https://93.184.216.34/hook', strict)).toBeNull();
    expect(await checkWebhookUrl('https://public.example.test/hook', strict)).toBeNull();
    expect(await checkWebhookUrl('http://[2606:4700:4700::1111]/', strict)).toBeNull();
  });

  it('lets loopback through only when private networks are allowed, and still only http(s)', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:9999/', { allowPrivateNetworks: true })).toBeNull();
    expect(await checkWebhookUrl('ftp://127.0.0.1/', { allowPrivateNetworks: true })).not.toBeNull();
  });

  it('classifies addresses, not strings', () => {
    expect(isForbiddenAddress('8.8.8.8')).toBe(false);
    expect(isForbiddenAddress('::ffff:8.8.8.8')).toBe(true); // mapped: refused whatever it maps to
    expect(isForbiddenAddress('fe80::1%eth0')).toBe(true);
    expect(isForbiddenAddress('not-an-ip')).toBe(true);
  });
});

describe('webhook sender against a loopback receiver', () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end();
        return;
      }
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a literal loopback address at connect time and never reaches the receiver', async () => {
    const sender = createWebhookSender({ allowPrivateNetworks: false });
    const before = hits.length;
    const result = await sender.send({ url: `http://127.0.0.1:${port}/x`, headers: {}, body: '{}' });
    await sender.close();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/refused|not allowed/);
    expect(hits.length).toBe(before);
  });

  it('refuses a name whose answer turned private after the URL was checked (DNS rebinding)', async () => {
    let calls = 0;
    // First answer public (the save-time check passes), every later one loopback.
    const rebinding: Lookup = async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    const policy = { allowPrivateNetworks: false, lookup: rebinding };
    expect(await checkWebhookUrl(`http://rebind.attacker.test:${port}/`, policy)).toBeNull();
    const sender = createWebhookSender(policy);
    const before = hits.length;
    const result = await sender.send({ url: `http://rebind.attacker.test:${port}/x`, headers: {}, body: '{}' });
    await sender.close();
    expect(result.ok).toBe(false);
    expect(hits.length).toBe(before);
  });

  it('does not follow a redirect: the 302 is the result and the target is never requested', async () => {
    const sender = createWebhookSender({ allowPrivateNetworks: true });
    const result = await sender.send({ url: `http://127.0.0.1:${port}/redirect`, headers: {}, body: '{}' });
    await sender.close();
    expect(result.ok && result.status).toBe(302);
    expect(hits).not.toContain('/target');
  });

  it('reads no more than the body cap of a large response', async () => {
    const big = createServer((_req, res) => res.writeHead(500).end('x'.repeat(1_000_000)));
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    const sender = createWebhookSender({ allowPrivateNetworks: true, bodyCapBytes: 1024 });
    const result = await sender.send({ url: `http://127.0.0.1:${(big.address() as AddressInfo).port}/`, headers: {}, body: '{}' });
    await sender.close();
    big.closeAllConnections();
    await new Promise<void>((resolve) => big.close(() => resolve()));
    expect(result.ok && result.status).toBe(500);
    expect(result.ok && result.body.length).toBeLessThanOrEqual(1024);
  });

  it('gives up after the timeout on a receiver that never answers', async () => {
    const hang = createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const sender = createWebhookSender({ allowPrivateNetworks: true, timeoutMs: 300 });
    const result = await sender.send({ url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`, headers: {}, body: '{}' });
    await sender.close();
    hang.closeAllConnections();
    await new Promise<void>((resolve) => hang.close(() => resolve()));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/timed out/);
    expect(result.durationMs).toBeLessThan(3000);
  });
});
