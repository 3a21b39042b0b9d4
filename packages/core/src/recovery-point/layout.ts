import { randomBytes } from "node:crypto";

/**
 * Where a backup instance's recovery points live in its operational store:
 *
 *     <instance prefix>recovery-points/<id>/in-progress.json   written first, removed at the end
 *     <instance prefix>recovery-points/<id>/resources.tar.gz   the resources, Velero's layout
 *     <instance prefix>recovery-points/<id>/manifest.json      written last: the commit marker
 *     <instance prefix>recovery-points/<id>/summary.json       a small digest of the manifest, for listing
 *
 * A folder without `manifest.json` is not a recovery point: it is garbage that the next backup
 * collects once its `in-progress.json` is older than the abandonment window.
 */
export const RECOVERY_POINTS_FOLDER = "recovery-points/";
/** The name of a recovery point's resource archive in its folder. */
export const ARCHIVE_FILE = "resources.tar.gz";
/** The name of a recovery point's manifest in its folder: written last, it marks the point as whole. */
export const MANIFEST_FILE = "manifest.json";
/** The name of a recovery point's summary (see {@link summarize}) in its folder. */
export const SUMMARY_FILE = "summary.json";
/** The name of the marker of a backup in progress in its recovery point's folder. */
export const IN_PROGRESS_FILE = "in-progress.json";

/** Keys of one recovery point's objects. */
export interface RecoveryPointKeys {
  folder: string;
  archive: string;
  manifest: string;
  summary: string;
  inProgress: string;
}

/** The keys of recovery point `recoveryPointId`'s objects under the instance folder `instancePrefix`; checks neither argument. */
export function recoveryPointKeys(instancePrefix: string, recoveryPointId: string): RecoveryPointKeys {
  const folder = `${instancePrefix}${RECOVERY_POINTS_FOLDER}${recoveryPointId}/`;
  return {
    folder,
    archive: folder + ARCHIVE_FILE,
    manifest: folder + MANIFEST_FILE,
    summary: folder + SUMMARY_FILE,
    inProgress: folder + IN_PROGRESS_FILE,
  };
}

/** Ids sort by time: `20261124T200102123Z-1f2e3d4c`. */
export function newRecoveryPointId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(4).toString("hex")}`;
}

const RECOVERY_POINT_ID = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;

/** True for a string shaped like a recovery point id (so that ids cannot escape their folder). */
export function isRecoveryPointId(value: string): boolean {
  return RECOVERY_POINT_ID.test(value);
}

/** The path of a backed-up object inside the archive, in Velero's layout. */
export function archivePath(groupResource: string, namespace: string | undefined, name: string): string {
  return namespace
    ? `resources/${groupResource}/namespaces/${namespace}/${name}.json`
    : `resources/${groupResource}/cluster/${name}.json`;
}
