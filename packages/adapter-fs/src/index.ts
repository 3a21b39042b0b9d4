export * from "./file-system-object-store.js";
