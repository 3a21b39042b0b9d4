export {};
export * from "./cluster-client.js";
export * from "./snapshot-provider.js";
