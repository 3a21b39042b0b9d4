import { stringify } from "yaml";

/** Who and where a kubeconfig points at. */
export interface KubeconfigSettings {
  server: string;
  /** The cluster's name, which is also the context's. */
  clusterName: string;
  userName: string;
  token: string;
  /** The PEM certificate the server's certificate is checked against. */
  certificateAuthorityPem: string;
  namespace?: string;
}

/**
 * A kubeconfig with one cluster (trusting the given certificate authority), user (a bearer token)
 * and context, the current one, as kubectl and `@kubernetes/client-node` read it.
 */
export function kubeconfigYaml(settings: KubeconfigSettings): string {
  const certificateAuthorityData = Buffer.from(settings.certificateAuthorityPem, "utf8").toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: settings.clusterName, cluster: { server: settings.server, "certificate-authority-data": certificateAuthorityData } }],
    users: [{ name: settings.userName, user: { token: settings.token } }],
    contexts: [
      {
        name: settings.clusterName,
        context: { cluster: settings.clusterName, user: settings.userName, ...(settings.namespace === undefined ? {} : { namespace: settings.namespace }) },
      },
    ],
    "current-context": settings.clusterName,
    preferences: {},
  });
}
