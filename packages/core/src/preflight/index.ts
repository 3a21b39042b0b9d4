export * from "./findings.js";
export { preflightRefusal, refuseOnPreflightErrors } from "./preflight-refusal.js";
export { backupPreflight, type BackupPreflightInput } from "./backup-preflight.js";
export { restorePreflight, type RestorePreflightInput } from "./restore-preflight.js";
export { checkPermissions, type NeededAccess } from "./check-permissions.js";
export { checkRestoreLocation, type RestoreLocation } from "./restore-location.js";
export { AZURE_REGION_PAIRS, pairedRegionOf } from "./region-pairs.js";
export { PREFLIGHT_PROBE_FOLDER } from "./probe-store.js";
