/** Options of `byPage`: resume from a continuation token, and ask for a page size. */
export interface PageSettings {
  continuationToken?: string;
  maxPageSize?: number;
}

/** One page of a list, and the token for the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

/**
 * What every `list*` method returns: iterate it for items, or call `byPage()` for pages.
 * This is the Azure SDK's PagedAsyncIterableIterator, with pages that carry their token.
 */
export interface PagedAsyncIterableIterator<T> extends AsyncIterableIterator<T> {
  /** The items in pages, from the first or from `settings.continuationToken`; the last page has no token. */
  byPage(settings?: PageSettings): AsyncIterableIterator<Page<T>>;
}

/** Fetches one page; `continuationToken` is undefined for the first. */
export type PageFetcher<T> = (continuationToken: string | undefined, maxPageSize: number | undefined) => Promise<Page<T>>;

/** Builds a paged iterator from a function that fetches one page. */
export function pagedIterator<T>(fetchPage: PageFetcher<T>): PagedAsyncIterableIterator<T> {
  async function* pages(settings: PageSettings = {}): AsyncIterableIterator<Page<T>> {
    let token = settings.continuationToken;
    do {
      const page = await fetchPage(token, settings.maxPageSize);
      yield page;
      token = page.continuationToken;
    } while (token !== undefined && token !== "");
  }
  async function* items(): AsyncIterableIterator<T> {
    for await (const page of pages()) yield* page.items;
  }
  const iterator = items();
  return {
    next: () => iterator.next(),
    [Symbol.asyncIterator]() {
      return this;
    },
    byPage: (settings) => pages(settings),
  };
}

/** Collects every item of an async iterable (for tests and small lists). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
