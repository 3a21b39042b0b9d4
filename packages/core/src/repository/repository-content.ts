/** One chunk of stored content: its place in the content and its id. */
export interface ChunkRef {
  /** Byte offset of the chunk in the volume or blob. */
  offset: number;
  /** The chunk's plain length in bytes. */
  length: number;
  /** Chunk id: HMAC-SHA-256 of the bytes under the repository's id key, 64 hex digits. */
  id: string;
}

/**
 * A volume or blob as stored in a repository: its size and its chunks, in order, contiguous from
 * offset 0. What `writeVolume` and `writeBlob` return and what readers take.
 */
export interface RepositoryContent {
  sizeInBytes: number;
  chunks: ChunkRef[];
}

/** A committed snapshot: the volumes and blobs of one recovery point, and what the caller said of it. */
export interface RepositorySnapshot {
  id: string;
  /** When it was committed, ISO 8601. */
  time: string;
  /** The copy that wrote it. */
  copyId: string;
  /** Volume contents by name (for example the persistent volume's name). */
  volumes: Record<string, RepositoryContent>;
  /** Blob contents by name (for example `manifest.json`, `resources.tar.gz`). */
  blobs: Record<string, RepositoryContent>;
  /** Caller's JSON facts: the recovery point id, the backup instance, the source cluster. */
  properties: Record<string, unknown>;
  tags: Record<string, string>;
}

/** Every chunk id (hex) a snapshot references. */
export function chunkIdsOf(snapshot: RepositorySnapshot): Set<string> {
  const ids = new Set<string>();
  for (const content of [...Object.values(snapshot.volumes), ...Object.values(snapshot.blobs)]) {
    for (const chunk of content.chunks) ids.add(chunk.id);
  }
  return ids;
}
