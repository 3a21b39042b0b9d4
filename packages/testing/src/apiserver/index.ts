export { startLocalApiServer, LOCAL_API_SERVER_VERSION, type LocalApiServer, type LocalApiServerOptions } from "./local-api-server.js";
export { LocalSnapshotStorage, type LocalSnapshot } from "./local-snapshot-storage.js";
export type { TokenRole } from "./access-control.js";
export type { KubeStatus } from "./kube-status.js";
