/** One gzip member of a resource archive: whole tar entries of one group, at a byte range. */
export interface ArchiveMember {
  /** The resource type (`deployments.apps`) or "" for the archive's own files. */
  group: string;
  offset: number;
  length: number;
  /** Tar entries in the member. */
  entries: number;
  /** sha256 of the member's compressed bytes, hex. */
  sha256: string;
}
