#!/usr/bin/env node
// Renders every overlay with `kubectl kustomize` (offline: no cluster needed) and checks each
// rendered object against the Kubernetes OpenAPI schemas shipped in `kubernetes-models`, then the
// cross-object rules a schema cannot see: every ConfigMap/Secret reference resolves (prod's
// Secret is external by design and must be named in EXTERNAL_SECRETS), every Service/PDB/HPA/
// NetworkPolicy selector matches a workload, probes and replica counts match the design.
//   node deploy/k8s/validate.mjs            (all overlays)
//   node deploy/k8s/validate.mjs prod       (one)
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

// A CLI script: its output is the point (no logger here).
const say = (line) => process.stdout.write(`${line}\n`);
const complain = (line) => process.stderr.write(`${line}\n`);

const here = dirname(fileURLToPath(import.meta.url));
const overlaysDir = join(here, 'overlays');
/** Secrets an overlay expects to exist in the cluster rather than render (never committed). */
const EXTERNAL_SECRETS = { prod: ['wagate-secrets'] };
/** Design numbers per overlay (DESIGN.md / issue 10). */
const EXPECT = { prod: { gatewayReplicas: 3, hpaMin: 3 }, dev: { gatewayReplicas: 1, hpaMin: 1 } };

const problems = [];
const fail = (overlay, message) => problems.push(`${overlay}: ${message}`);

function kubectl(args) {
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (error.code === 'ENOENT') {
      complain('validate-k8s: kubectl is not installed; it is needed to render the overlays (kubectl 1.32 bundles kustomize 5.5).');
      process.exit(127);
    }
    throw new Error(`kubectl ${args.join(' ')} failed:\n${error.stderr || error.message}`);
  }
}

/** kubernetes-models module of an apiVersion: `v1` → kubernetes-models/v1, `apps/v1` → kubernetes-models/apps/v1. */
async function modelFor(apiVersion, kind) {
  try {
    const mod = await import(`kubernetes-models/${apiVersion}`);
    return mod[kind];
  } catch {
    return undefined;
  }
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function podTemplates(objects) {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, object: o, labels: o.spec.template.metadata?.labels ?? {}, spec: o.spec.template.spec }));
}

function checkReferences(overlay, objects) {
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const secrets = new Map(objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, { ...(o.data ?? {}), ...(o.stringData ?? {}) }]));
  const external = EXTERNAL_SECRETS[overlay] ?? [];
  const serviceAccounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name));
  for (const { owner, spec } of podTemplates(objects)) {
    if (spec.serviceAccountName && !serviceAccounts.has(spec.serviceAccountName)) fail(overlay, `${owner} uses a missing ServiceAccount ${spec.serviceAccountName}`);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) fail(overlay, `${owner}/${c.name} envFrom a missing ConfigMap ${from.configMapRef.name}`);
        if (from.secretRef && !secrets.has(from.secretRef.name) && !external.includes(from.secretRef.name)) fail(overlay, `${owner}/${c.name} envFrom a missing Secret ${from.secretRef.name}`);
      }
      const names = new Set();
      for (const env of c.env ?? []) {
        // $(VAR) only expands variables defined earlier in the same list (or envFrom).
        for (const [, ref] of (env.value ?? '').matchAll(/\$\(([A-Z0-9_]+)\)/g)) {
          const fromConfig = (c.envFrom ?? []).some((f) => f.configMapRef && configMaps.get(f.configMapRef.name)?.[ref] !== undefined);
          if (!names.has(ref) && !fromConfig) fail(overlay, `${owner}/${c.name} ${env.name} uses $(${ref}) before it is defined`);
        }
        names.add(env.name);
        const cm = env.valueFrom?.configMapKeyRef;
        if (cm && !cm.optional && configMaps.get(cm.name)?.[cm.key] === undefined) fail(overlay, `${owner}/${c.name} ${env.name} → ConfigMap ${cm.name} key ${cm.key} missing`);
        const sk = env.valueFrom?.secretKeyRef;
        if (sk && !external.includes(sk.name)) {
          if (!secrets.has(sk.name)) fail(overlay, `${owner}/${c.name} ${env.name} → missing Secret ${sk.name}`);
          else if (!sk.optional && secrets.get(sk.name)[sk.key] === undefined) fail(overlay, `${owner}/${c.name} ${env.name} → Secret ${sk.name} has no key ${sk.key}`);
        }
      }
      for (const probe of [c.readinessProbe, c.livenessProbe].filter(Boolean)) {
        const port = probe.httpGet?.port;
        if (typeof port === 'string' && !(c.ports ?? []).some((p) => p.name === port)) fail(overlay, `${owner}/${c.name} probe names port ${port} the container does not declare`);
      }
    }
  }
}

function checkSelectors(overlay, objects) {
  const pods = podTemplates(objects);
  for (const o of objects) {
    let selector;
    if (o.kind === 'Service') selector = o.spec.selector;
    else if (o.kind === 'PodDisruptionBudget') selector = o.spec.selector?.matchLabels;
    else if (o.kind === 'NetworkPolicy') selector = o.spec.podSelector?.matchLabels;
    else if (['Deployment', 'StatefulSet'].includes(o.kind)) {
      if (!matches(o.spec.selector.matchLabels, o.spec.template.metadata.labels)) fail(overlay, `${o.kind}/${o.metadata.name} selector does not match its own pod labels`);
      continue;
    } else continue;
    if (selector === undefined || Object.keys(selector).length === 0) continue; // default-deny selects all
    if (!pods.some((p) => matches(selector, p.labels))) fail(overlay, `${o.kind}/${o.metadata.name} selects no pod (${JSON.stringify(selector)})`);
  }
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec.scaleTargetRef;
    if (!objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name)) fail(overlay, `HPA/${hpa.metadata.name} targets a missing ${ref.kind}/${ref.name}`);
  }
  for (const sts of objects.filter((o) => o.kind === 'StatefulSet')) {
    const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === sts.spec.serviceName);
    if (!svc) fail(overlay, `StatefulSet/${sts.metadata.name} names a missing Service ${sts.spec.serviceName}`);
  }
  for (const rb of objects.filter((o) => o.kind === 'RoleBinding')) {
    if (!objects.some((o) => o.kind === rb.roleRef.kind && o.metadata.name === rb.roleRef.name)) fail(overlay, `RoleBinding/${rb.metadata.name} binds a missing ${rb.roleRef.kind}`);
  }
}

function checkDesign(overlay, objects) {
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const gateway = find('Deployment', 'wagate-gateway');
  const worker = find('StatefulSet', 'wagate-worker');
  if (!gateway || !worker) return fail(overlay, 'gateway Deployment or worker StatefulSet missing');
  const expect = EXPECT[overlay];
  if (expect && gateway.spec.replicas !== expect.gatewayReplicas) fail(overlay, `gateway replicas ${gateway.spec.replicas}, expected ${expect.gatewayReplicas}`);
  const hpa = find('HorizontalPodAutoscaler', 'wagate-gateway');
  if (!hpa) fail(overlay, 'no HPA for the gateway');
  else if (expect && hpa.spec.minReplicas !== expect.hpaMin) fail(overlay, `HPA minReplicas ${hpa.spec.minReplicas}, expected ${expect.hpaMin}`);
  if (!find('PodDisruptionBudget', 'wagate-gateway')) fail(overlay, 'no PodDisruptionBudget for the gateway');
  const g = gateway.spec.template.spec.containers[0];
  if (g.readinessProbe?.httpGet?.path !== '/health/detailed') fail(overlay, 'gateway readiness must probe /health/detailed');
  if (g.livenessProbe?.httpGet?.path !== '/health') fail(overlay, 'gateway liveness must probe /health');
  for (const [name, c] of [['gateway', g], ['worker', worker.spec.template.spec.containers[0]]]) {
    if (!c.resources?.requests || !c.resources?.limits) fail(overlay, `${name} needs resource requests and limits`);
  }
  const w = worker.spec.template.spec;
  if (!(w.terminationGracePeriodSeconds >= 30)) fail(overlay, 'worker terminationGracePeriodSeconds must leave time to drain (≥ 30 s; the CLI bounds shutdown at 25 s)');
  const workerId = w.containers[0].env?.find((e) => e.name === 'WORKER_ID');
  if (workerId?.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') fail(overlay, 'WORKER_ID must come from the pod name (stable ids)');
  const headless = find('Service', worker.spec.serviceName);
  if (headless && headless.spec.clusterIP !== 'None') fail(overlay, 'the worker Service must be headless');
  const lb = find('Service', 'wagate-gateway');
  if (lb?.spec.type !== 'LoadBalancer') fail(overlay, 'the gateway Service must be a LoadBalancer');
  for (const svc of objects.filter((o) => o.kind === 'Service' && o.metadata.name !== 'wagate-gateway')) {
    if ((svc.spec.type ?? 'ClusterIP') !== 'ClusterIP') fail(overlay, `Service/${svc.metadata.name} must be ClusterIP`);
  }
  // Only the gateway reaches workers.
  const policy = objects.find((o) => o.kind === 'NetworkPolicy' && matches(o.spec.podSelector?.matchLabels, worker.spec.template.metadata.labels) && Object.keys(o.spec.podSelector?.matchLabels ?? {}).length > 0);
  if (!policy) fail(overlay, 'no NetworkPolicy selects the worker pods');
  else {
    for (const rule of policy.spec.ingress ?? []) {
      for (const peer of rule.from ?? [{}]) {
        const fromGateway = matches(peer.podSelector?.matchLabels, gateway.spec.template.metadata.labels) && peer.podSelector?.matchLabels;
        const fromMonitoring = peer.namespaceSelector?.matchLabels?.['wagate.io/monitoring'] === 'true';
        if (!fromGateway && !fromMonitoring) fail(overlay, `worker NetworkPolicy admits a peer other than the gateway: ${JSON.stringify(peer)}`);
      }
    }
  }
  if (!objects.some((o) => o.kind === 'NetworkPolicy' && Object.keys(o.spec.podSelector ?? {}).length === 0 || (o.kind === 'NetworkPolicy' && Object.keys(o.spec.podSelector?.matchLabels ?? {}).length === 0))) fail(overlay, 'no default-deny NetworkPolicy');
  const role = objects.find((o) => o.kind === 'Role' && o.rules.some((r) => r.resources.includes('pods') && ['list', 'watch'].every((v) => r.verbs.includes(v))));
  if (!role) fail(overlay, 'no Role lets the gateway list and watch pods');
  for (const o of objects) {
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      if (/:latest$/.test(c.image) || !/:[^/]+$/.test(c.image)) fail(overlay, `${o.kind}/${o.metadata.name} image ${c.image} is not pinned to a tag`);
    }
  }
  for (const s of objects.filter((o) => o.kind === 'Secret')) {
    for (const [key, value] of Object.entries(s.data ?? {})) {
      const plain = Buffer.from(value, 'base64').toString('utf8');
      if (!/CHANGE_ME|example\.com$|^wagate-app$/.test(plain)) fail(overlay, `Secret/${s.metadata.name} key ${key} holds something other than a placeholder`);
    }
  }
}

const wanted = process.argv.slice(2);
const overlays = wanted.length > 0 ? wanted : readdirSync(overlaysDir);
say(`validate-k8s: ${kubectl(['version', '--client']).split('\n').filter(Boolean).join(', ')}`);
for (const overlay of overlays) {
  const rendered = kubectl(['kustomize', join(overlaysDir, overlay)]);
  const objects = [];
  for (const doc of parseAllDocuments(rendered)) {
    if (doc.errors.length > 0) fail(overlay, `YAML: ${doc.errors[0].message}`);
    const o = doc.toJS();
    if (o) objects.push(o);
  }
  for (const o of objects) {
    const Model = await modelFor(o.apiVersion, o.kind);
    if (!Model) {
      fail(overlay, `${o.apiVersion} ${o.kind} has no schema in kubernetes-models`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      fail(overlay, `${o.kind}/${o.metadata?.name}: ${error.message}`);
    }
  }
  checkReferences(overlay, objects);
  checkSelectors(overlay, objects);
  checkDesign(overlay, objects);
  const kinds = Object.entries(objects.reduce((m, o) => ({ ...m, [o.kind]: (m[o.kind] ?? 0) + 1 }), {})).map(([k, n]) => `${n} ${k}`).join(', ');
  say(`validate-k8s: ${overlay}: ${objects.length} objects (${kinds})`);
}
if (problems.length > 0) {
  complain(`validate-k8s: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
say('validate-k8s: every rendered object matches its Kubernetes schema and the cross-object checks');
