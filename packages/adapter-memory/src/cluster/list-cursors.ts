import { KBackupError, invalidArgument, type Clock, type KubeObject } from "@kbackup/core";

/** A list in progress: the objects as of its first page, and which of them it returns. */
export interface ListCursor {
  /** Which list the cursor belongs to (resource type, namespace, selectors), to reject a token used on another. */
  readonly scope: string;
  readonly items: readonly KubeObject[];
  readonly end: number;
  readonly accept: (object: KubeObject) => boolean;
  readonly expiresAtInMs: number;
}

interface TokenBody {
  c: number;
  p: number;
}

/**
 * The server side of list continuation tokens: each list keeps a snapshot of its objects from its
 * first page on, and a token names that snapshot and a position in it. Snapshots expire on the
 * clock, like an API server's compacted resource versions, and are then forgotten.
 */
export class ListCursors {
  readonly #cursors = new Map<number, ListCursor>();
  readonly #clock: Clock;
  readonly #ttlInMs: number;
  #nextId = 1;

  constructor(clock: Clock, ttlInMs: number) {
    this.#clock = clock;
    this.#ttlInMs = ttlInMs;
  }

  /** Keeps a new cursor and returns its id; forgets the expired ones first. */
  open(cursor: Omit<ListCursor, "expiresAtInMs">): number {
    const nowInMs = this.#clock.now().getTime();
    for (const [id, kept] of this.#cursors) if (kept.expiresAtInMs <= nowInMs) this.#cursors.delete(id);
    const id = this.#nextId++;
    this.#cursors.set(id, { ...cursor, expiresAtInMs: nowInMs + this.#ttlInMs });
    return id;
  }

  /** Makes every cursor handed out so far expire now. */
  expireAll(): void {
    this.#cursors.clear();
  }

  /** The opaque token that resumes cursor `id` at `position`. */
  token(id: number, position: number): string {
    const body: TokenBody = { c: id, p: position };
    return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
  }

  /**
   * The cursor and position a token names. Throws `Expired` for a cursor past its time to live,
   * `InvalidArgument` (field `continuationToken`) for a token that is malformed, unknown or from
   * another list.
   */
  resume(token: string, scope: string): { id: number; cursor: ListCursor; position: number } {
    const body = parseToken(token);
    if (body === undefined || body.c >= this.#nextId) throw invalidArgument("continuationToken", "not a continuation token of this cluster");
    const cursor = this.#cursors.get(body.c);
    if (cursor === undefined || cursor.expiresAtInMs <= this.#clock.now().getTime()) {
      this.#cursors.delete(body.c);
      throw new KBackupError("Expired", "The list's continuation token has expired; restart the list.", { field: "continuationToken" });
    }
    if (cursor.scope !== scope) throw invalidArgument("continuationToken", "the token belongs to a different list");
    if (body.p > cursor.end) throw invalidArgument("continuationToken", "not a continuation token of this cluster");
    return { id: body.c, cursor, position: body.p };
  }
}

function parseToken(token: string): TokenBody | undefined {
  try {
    const body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<TokenBody>;
    if (!Number.isSafeInteger(body.c) || !Number.isSafeInteger(body.p) || (body.c as number) < 1 || (body.p as number) < 0) return undefined;
    return body as TokenBody;
  } catch {
    return undefined;
  }
}
