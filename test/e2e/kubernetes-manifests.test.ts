/**
 * deploy/kubernetes, validated offline (no cluster here, and `kubectl apply
 * --dry-run=client` needs one for discovery): every kustomization builds with
 * `kubectl kustomize` when kubectl is installed, and the objects fit together
 * and fit pagoda: the container's flags and PAGODA_* variables are ones
 * `pagoda serve` accepts, probes hit pagoda's routes on the named port,
 * selectors match the pod labels, the PVC, the Service, the PodMonitor, the
 * KEDA trigger's metric, the InferencePool's port and the objects that
 * reference it by name.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { parseServeArgs } from "../../src/cli/serve-config.js";
import { VllmMetrics } from "../../src/metrics/prometheus.js";
import { repoRoot } from "../../src/testing/paths.js";

const root = join(repoRoot, "deploy", "kubernetes");
const kustomizations = ["", "monitoring", "autoscaling", "gateway"];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function documentsIn(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((doc) => {
    assert.deepEqual(doc.errors, [], file);
    return doc.toJS() as K8sObject;
  });
}

/** What a kustomization lists, resolved the way kustomize does it (directories recursively), without kubectl. */
function objectsOf(dir: string): K8sObject[] {
  const kustomization = documentsIn(join(dir, "kustomization.yaml"))[0] as unknown as { resources: string[] };
  return kustomization.resources.flatMap((resource) => (resource.endsWith(".yaml") ? documentsIn(join(dir, resource)) : objectsOf(join(dir, resource))));
}

const all = objectsOf(join(root, "gateway")).concat(objectsOf(join(root, "autoscaling")));
const one = (kind: string) => {
  const found = all.find((object) => object.kind === kind);
  assert.ok(found, `a ${kind}`);
  return found;
};

const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

test("every kustomization builds with kubectl kustomize", { skip: hasKubectl ? false : "kubectl is not installed" }, () => {
  for (const name of kustomizations) {
    const built = execFileSync("kubectl", ["kustomize", join(root, name)], { encoding: "utf8" });
    const kinds = parseAllDocuments(built).map((doc) => (doc.toJS() as K8sObject).kind);
    for (const kind of ["Deployment", "Service", "PersistentVolumeClaim"]) assert.ok(kinds.includes(kind), `${name || "base"} has a ${kind}`);
  }
});

test("every manifest is an object with apiVersion, kind and a name, and every file is used", () => {
  const listed = new Set<string>();
  for (const name of [...kustomizations, "base"]) {
    const dir = join(root, name);
    const kustomization = documentsIn(join(dir, "kustomization.yaml"))[0] as unknown as { resources: string[] };
    for (const resource of kustomization.resources) listed.add(join(dir, resource));
  }
  for (const dir of ["base", "monitoring", "autoscaling", "gateway"]) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
      assert.ok(listed.has(join(root, dir, file)), `${dir}/${file} is in a kustomization`);
    }
  }
  for (const object of all) {
    assert.match(object.apiVersion, /^([a-z0-9.-]+\/)?v\d+(alpha\d+|beta\d+)?$/, object.kind);
    assert.match(object.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  }
});

test("the Deployment runs pagoda with flags and variables pagoda accepts, probes on its routes, the cache on the PVC", () => {
  const deployment = one("Deployment");
  const pod = deployment.spec.template;
  assert.deepEqual(deployment.spec.selector.matchLabels, pod.metadata.labels);
  const [container] = pod.spec.containers;
  const env = Object.fromEntries(container.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
  for (const name of container.env.map((e: { name: string }) => e.name)) assert.match(name, /^(PAGODA_|HF_TOKEN$)/);
  // The container's arguments go to `pagoda serve` (the image's entrypoint): they must parse.
  const config = parseServeArgs(container.args, env);
  assert.equal(config.threads, Number(env.PAGODA_THREADS));
  assert.equal(String(config.threads), String(container.resources.requests.cpu), "one llama.cpp thread per requested core");
  const port = container.ports.find((p: { name: string }) => p.name === "http");
  assert.equal(port.containerPort, 8000);
  for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    assert.equal(container[probe].httpGet.path, "/health", probe);
    assert.equal(container[probe].httpGet.port, "http", probe);
  }
  assert.ok(container.startupProbe.periodSeconds * container.startupProbe.failureThreshold >= 300, "a first start may download the model");
  assert.ok(pod.spec.terminationGracePeriodSeconds > 30, "longer than pagoda's 30 s drain");
  assert.ok(pod.spec.securityContext.runAsNonRoot);
  const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === "/models");
  assert.ok(mount, "the image's PAGODA_CACHE (/models) is mounted");
  const volume = pod.spec.volumes.find((v: { name: string }) => v.name === mount.name);
  assert.equal(volume.persistentVolumeClaim.claimName, one("PersistentVolumeClaim").metadata.name);
});

test("the Service, PodMonitor, ScaledObject and gateway objects point at the pods and at each other", async () => {
  const podLabels = one("Deployment").spec.template.metadata.labels;
  const service = one("Service");
  assert.deepEqual(service.spec.selector, podLabels);
  assert.equal(service.spec.ports[0].targetPort, "http");

  const monitor = one("PodMonitor");
  assert.deepEqual(monitor.spec.selector.matchLabels, podLabels);
  assert.deepEqual(monitor.spec.podMetricsEndpoints.map((e: { port: string; path: string }) => [e.port, e.path]), [["http", "/metrics"]]);

  const scaled = one("ScaledObject");
  assert.equal(scaled.spec.scaleTargetRef.name, one("Deployment").metadata.name);
  const query: string = scaled.spec.triggers[0].metadata.query;
  assert.match(query, /vllm:num_requests_waiting/);
  const exposition = await new VllmMetrics({ maxModelLen: 16, collectProcessMetrics: false }).render();
  assert.match(exposition, /^# TYPE vllm:num_requests_waiting gauge$/m, "the metric the trigger reads is one pagoda exposes");

  const pool = one("InferencePool");
  assert.equal(pool.apiVersion, "inference.networking.k8s.io/v1");
  assert.deepEqual(pool.spec.selector.matchLabels, podLabels);
  assert.deepEqual(pool.spec.targetPorts, [{ number: 8000 }]);
  assert.ok(pool.spec.endpointPickerRef.name);
  const objective = one("InferenceObjective");
  assert.equal(objective.apiVersion, "inference.networking.x-k8s.io/v1alpha2");
  assert.deepEqual(objective.spec.poolRef, { group: "inference.networking.k8s.io", name: pool.metadata.name });
  const route = one("HTTPRoute");
  assert.deepEqual(route.spec.rules[0].backendRefs[0], { group: "inference.networking.k8s.io", kind: "InferencePool", name: pool.metadata.name });
});
