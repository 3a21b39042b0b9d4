// Patches: a strategic merge patch of a typical Deployment (one container image and the replica
// count), and for comparison the same change as a JSON Patch and as a JSON Merge Patch; reports
// patches per second and peak memory.
//   node bench/patch.bench.ts          (needs the built @kbackup/core)
// Options by environment: PATCHES (200000), ROUNDS (3).
import { applyJsonPatch, applyMergePatch, strategicMergePatch, type JsonPatchOperation } from "@kbackup/core";

const patchCount = Number(process.env.PATCHES ?? 200_000);
const rounds = Number(process.env.ROUNDS ?? 3);

const container = (name: string, image: string, port: number) => ({
  name,
  image,
  imagePullPolicy: "IfNotPresent",
  ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
  env: [
    { name: "LOG_LEVEL", value: "info" },
    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
  ],
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  volumeMounts: [
    { name: "config", mountPath: "/etc/app" },
    { name: "data", mountPath: "/var/lib/app" },
  ],
  readinessProbe: { httpGet: { path: "/healthz", port }, periodSeconds: 10 },
});

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "5f0e7c1c-8c1b-4c5e-9d7e-0a1b2c3d4e5f",
    resourceVersion: "123456",
    generation: 7,
    labels: { app: "web", "app.kubernetes.io/part-of": "shop", tier: "frontend" },
    annotations: { "deployment.kubernetes.io/revision": "7", "example.com/owner": "team-shop" },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: {
      metadata: { labels: { app: "web", tier: "frontend" } },
      spec: {
        serviceAccountName: "web",
        containers: [container("web", "registry.example/web:1.4.2", 8080), container("proxy", "registry.example/envoy:1.29", 9901)],
        volumes: [
          { name: "config", configMap: { name: "web-config" } },
          { name: "data", persistentVolumeClaim: { claimName: "web-data" } },
        ],
        tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }],
      },
    },
  },
  status: { replicas: 3, readyReplicas: 3, conditions: [{ type: "Available", status: "True" }] },
};

const strategic = { spec: { replicas: 5, template: { spec: { containers: [{ name: "web", image: "registry.example/web:1.5.0" }] } } } };
const merge = { spec: { replicas: 5 } };
const json: JsonPatchOperation[] = [
  { op: "replace", path: "/spec/replicas", value: 5 },
  { op: "replace", path: "/spec/template/spec/containers/0/image", value: "registry.example/web:1.5.0" },
];

const cases: Array<[string, () => unknown]> = [
  ["strategic merge patch", () => strategicMergePatch(deployment, strategic)],
  ["JSON Patch", () => applyJsonPatch(deployment, json)],
  ["JSON Merge Patch", () => applyMergePatch(deployment, merge)],
];

let sink = 0;
for (const [name, apply] of cases) {
  for (let i = 0; i < 10_000; i++) sink += apply() === deployment ? 1 : 0; // warm-up
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < patchCount; i++) sink += apply() === deployment ? 1 : 0;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    best = Math.max(best, patchCount / seconds);
  }
  console.log(`${name}: ${Math.round(best).toLocaleString("en-US")} patches/s (best of ${rounds} rounds of ${patchCount.toLocaleString("en-US")})`);
}
const patched = strategicMergePatch(deployment, strategic) as typeof deployment;
if (patched.spec.template.spec.containers[0]?.image !== "registry.example/web:1.5.0" || patched.spec.replicas !== 5 || sink !== 0) {
  throw new Error("the strategic merge patch did not apply");
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
