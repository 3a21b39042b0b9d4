import { invalidArgument } from "@kbackup/core";
import { KubeConfig } from "@kubernetes/client-node";

/**
 * Where a kubeconfig comes from: a loaded `KubeConfig`, a file, the text of one, or (omitted)
 * client-node's default loading rules: `$KUBECONFIG`, `~/.kube/config`, else the in-cluster
 * service account.
 */
export type KubeConfigSource = KubeConfig | { path: string } | { yaml: string };

/**
 * A `KubeConfig` from the source, switched to `context` when one is named (a given `KubeConfig` is
 * used as it is, or copied when another context is named, so the caller's stays as it was). Throws `InvalidArgument` (field `kubeConfig`
 * or `context`) for a file or text that cannot be read, an unknown context, or a context without
 * a cluster server.
 */
export function loadKubeConfig(source: KubeConfigSource | undefined, context: string | undefined): KubeConfig {
  if (isKubeConfig(source) && (context === undefined || context === source.getCurrentContext())) return checked(source, context);
  const kubeConfig = new KubeConfig();
  try {
    if (source === undefined) kubeConfig.loadFromDefault();
    else if (isKubeConfig(source)) kubeConfig.loadFromOptions({ clusters: source.clusters, users: source.users, contexts: source.contexts, currentContext: source.currentContext });
    else if ("path" in source && typeof source.path === "string") kubeConfig.loadFromFile(source.path);
    else if ("yaml" in source && typeof source.yaml === "string") kubeConfig.loadFromString(source.yaml);
    else throw new Error("give a KubeConfig, { path } or { yaml }");
  } catch (error) {
    throw invalidArgument("kubeConfig", `cannot be loaded: ${(error as Error).message}`, error);
  }
  if (context !== undefined) {
    if (kubeConfig.getContextObject(context) === null) throw invalidArgument("context", `the kubeconfig has no context "${context}"`);
    kubeConfig.setCurrentContext(context);
  }
  return checked(kubeConfig, context);
}

/** A KubeConfig from any loaded copy of client-node. */
function isKubeConfig(source: KubeConfigSource | undefined): source is KubeConfig {
  return typeof (source as KubeConfig | undefined)?.getCurrentCluster === "function";
}

function checked(kubeConfig: KubeConfig, context: string | undefined): KubeConfig {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null || typeof cluster.server !== "string" || cluster.server === "") {
    throw invalidArgument(context === undefined ? "kubeConfig" : "context", `the context "${kubeConfig.getCurrentContext()}" names no cluster with a server`);
  }
  return kubeConfig;
}
