import { promisify } from "node:util";
import { sha256Hex } from "../util/sha256.js";
import { gunzip, gunzipSync } from "node:zlib";
import { KBackupError } from "../errors.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { ArchiveMember } from "./archive-format.js";
import { readTar, type TarEntry } from "./tar.js";

const gunzipAsync = promisify(gunzip);
// Members are about 1 MiB uncompressed: bigger output chunks mean fewer callbacks per member.
const ZLIB_CHUNK_BYTES = 256 * 1024;
// Small members decompress faster in place than through the thread pool.
const SYNC_BELOW_BYTES = 16 * 1024;

/**
 * Reads the given members of an archive object by byte range, verifying each member's sha256,
 * and yields their tar entries. The next member is fetched while the current one is consumed.
 */
export async function* readArchiveMembers(
  store: ObjectStore,
  key: string,
  members: readonly ArchiveMember[],
  abortSignal?: AbortSignal,
): AsyncIterableIterator<TarEntry> {
  const fetchMember = async (member: ArchiveMember): Promise<Uint8Array> => {
    const object = await store.get(key, { range: { offset: member.offset, length: member.length }, abortSignal });
    if (!object) throw new KBackupError("Integrity", `The archive ${key} is missing.`, { details: { key } });
    if (object.body.length !== member.length) {
      throw new KBackupError("Integrity", `The archive ${key} is truncated at byte ${member.offset + object.body.length}.`, { details: { key } });
    }
    const digest = sha256Hex(object.body);
    if (digest !== member.sha256) {
      throw new KBackupError("Integrity", `The archive ${key} is corrupt: the member of ${member.group || "the archive's own files"} at byte ${member.offset} fails its checksum.`, {
        details: { key, offset: member.offset, group: member.group },
      });
    }
    try {
      return new Uint8Array(object.body.length < SYNC_BELOW_BYTES ? gunzipSync(object.body) : await gunzipAsync(object.body, { chunkSize: ZLIB_CHUNK_BYTES }));
    } catch (cause) {
      throw new KBackupError("Integrity", `The archive ${key} holds a member at byte ${member.offset} that does not decompress.`, { cause, details: { key } });
    }
  };
  let next = members[0] ? fetchMember(members[0]) : undefined;
  next?.catch(() => undefined);
  for (let i = 0; i < members.length; i++) {
    const raw = await next!;
    next = members[i + 1] ? fetchMember(members[i + 1]!) : undefined;
    next?.catch(() => undefined);
    yield* readTar(single(raw));
  }
}

async function* single(chunk: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield chunk;
}
