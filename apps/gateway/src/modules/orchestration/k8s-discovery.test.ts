import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerRow } from '../workers/index.js';
import { workersTestApp, type WorkersTestApp } from '../workers/test-support/workers-app.js';
import { createK8sDiscovery, type K8sDiscovery } from './k8s-discovery.js';

// A stub of the Kubernetes API: the pod list and a watch stream the test feeds.
interface Stub {
  url: string;
  pods: object[];
  requests: string[];
  watchers: ServerResponse[];
  push(type: string, pod: object): void;
  close(): Promise<void>;
}

async function kubeStub(): Promise<Stub> {
  const stub: Omit<Stub, 'url' | 'close'> = {
    pods: [],
    requests: [],
    watchers: [],
    push(type, pod) {
      for (const w of stub.watchers) w.write(`${JSON.stringify({ type, object: pod })}\n`);
    },
  };
  const server: Server = createServer((req, res) => {
    stub.requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://stub');
    if (!url.pathname.startsWith('/api/v1/namespaces/wagate/pods')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      stub.watchers.push(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '100' }, items: stub.pods }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    ...stub,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const w of stub.watchers) w.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  } as Stub;
}

const pod = (name: string, ip: string, phase = 'Running') => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name, namespace: 'wagate', labels: { 'app.kubernetes.io/component': 'wagate-worker' } },
  status: { phase, podIP: ip },
});

let t: WorkersTestApp;
let stub: Stub;
let discovery: K8sDiscovery;
let healthy: Set<string>;
let drained: WorkerRow[];
let offline: WorkerRow[];

beforeEach(async () => {
  t = await workersTestApp();
  stub = await kubeStub();
  healthy = new Set();
  drained = [];
  offline = [];
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'stub', server: stub.url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'stub-token' }],
    contexts: [{ name: 'stub', cluster: 'stub', user: 'u' }],
    currentContext: 'stub',
  });
  discovery = createK8sDiscovery(
    {
      db: t.database.db,
      repository: t.workers.repository,
      routing: t.workers.routing,
      client: {
        health: async (endpoint) => {
          if (!healthy.has(endpoint)) throw new Error('unreachable');
          return { status: 'ok', sessionCount: 0, maxSessions: 25, cpuUsage: 1, memoryUsage: 2, uptimeSeconds: 3 };
        },
      },
      logger: t.app.log,
      onDraining: async (w) => void drained.push(w),
      onOffline: async (w) => void offline.push(w),
    },
    { namespace: 'wagate', labelSelector: 'app.kubernetes.io/component=wagate-worker', port: 3100, maxSessions: 10, kubeConfig, rewatchDelayMs: 50 },
  );
});
afterEach(async () => {
  await discovery.stop();
  await stub.close();
  await t.close();
});

const workers = async () => (await t.workers.repository.list({ limit: 100 })).data;

async function until(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Kubernetes discovery', () => {
  it('lists pods by label selector and registers the running, healthy ones with source k8s', async () => {
    stub.pods.push(pod('w-0', '10.1.0.1'), pod('w-1', '10.1.0.2'), pod('w-pending', '10.1.0.3', 'Pending'), pod('w-sick', '10.1.0.4'));
    healthy = new Set(['http://10.1.0.1:3100', 'http://10.1.0.2:3100', 'http://10.1.0.3:3100']);
    const result = await discovery.sync();
    expect(result.registered.sort()).toEqual(['http://10.1.0.1:3100', 'http://10.1.0.2:3100']);
    expect(stub.requests[0]).toContain('labelSelector=app.kubernetes.io%2Fcomponent%3Dwagate-worker');
    const rows = await workers();
    expect(rows.map((w) => [w.endpoint, w.source, w.status, w.maxSessions]).sort()).toEqual([
      ['http://10.1.0.1:3100', 'k8s', 'ONLINE', 25],
      ['http://10.1.0.2:3100', 'k8s', 'ONLINE', 25],
    ]);
    // A second list registers nothing twice.
    expect((await discovery.sync()).registered).toEqual([]);
  });

  it('retires a worker whose pod left the list: OFFLINE when silent, draining when it still answers', async () => {
    stub.pods.push(pod('w-0', '10.1.0.1'), pod('w-1', '10.1.0.2'));
    healthy = new Set(['http://10.1.0.1:3100', 'http://10.1.0.2:3100']);
    await discovery.sync();
    stub.pods.length = 0;
    healthy.delete('http://10.1.0.1:3100');
    const result = await discovery.sync();
    expect(result.removed.sort()).toEqual(['http://10.1.0.1:3100', 'http://10.1.0.2:3100']);
    const byEndpoint = new Map((await workers()).map((w) => [w.endpoint, w.status]));
    expect(byEndpoint.get('http://10.1.0.1:3100')).toBe('OFFLINE');
    expect(byEndpoint.get('http://10.1.0.2:3100')).toBe('DRAINING');
    expect(offline.map((w) => w.endpoint)).toEqual(['http://10.1.0.1:3100']);
    expect(drained.map((w) => w.endpoint)).toEqual(['http://10.1.0.2:3100']);
  });

  it('follows the watch: an ADDED pod is registered, a DELETED one retired', async () => {
    healthy = new Set(['http://10.1.0.9:3100']);
    discovery.start();
    await until(async () => stub.watchers.length > 0);
    expect(stub.requests.some((r) => r.includes('watch=true') && r.includes('resourceVersion=100'))).toBe(true);
    stub.push('ADDED', pod('w-9', '10.1.0.9'));
    await until(async () => (await workers()).some((w) => w.endpoint === 'http://10.1.0.9:3100' && w.status === 'ONLINE'));
    healthy.clear();
    stub.push('DELETED', pod('w-9', '10.1.0.9'));
    await until(async () => (await workers()).some((w) => w.endpoint === 'http://10.1.0.9:3100' && w.status === 'OFFLINE'));
    expect(offline.map((w) => w.endpoint)).toEqual(['http://10.1.0.9:3100']);
  });

  it('lists again after the watch ends, so a pod added meanwhile is not missed', async () => {
    discovery.start();
    await until(async () => stub.watchers.length > 0);
    stub.pods.push(pod('w-5', '10.1.0.5'));
    healthy = new Set(['http://10.1.0.5:3100']);
    for (const w of stub.watchers.splice(0)) w.end();
    await until(async () => (await workers()).some((w) => w.endpoint === 'http://10.1.0.5:3100'));
  });
});
