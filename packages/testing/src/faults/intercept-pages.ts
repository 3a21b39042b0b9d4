import type { Page, PageSettings, PagedAsyncIterableIterator } from "@kbackup/core";

/**
 * A paged iterator over `open()`'s pages that awaits `beforePage(page, settings)` before each page is
 * fetched (1-based within one iteration), so that a fault can land on a chosen page. A page without a
 * continuation token is the last: no fetch is made, nor announced, after it.
 */
export function interceptPages<T>(
  open: () => PagedAsyncIterableIterator<T>,
  beforePage: (page: number, settings: PageSettings | undefined) => Promise<void>,
): PagedAsyncIterableIterator<T> {
  async function* pages(settings?: PageSettings): AsyncIterableIterator<Page<T>> {
    let source: AsyncIterableIterator<Page<T>> | undefined;
    try {
      for (let page = 1; ; page++) {
        await beforePage(page, settings);
        source ??= open().byPage(settings);
        const result = await source.next();
        if (result.done) return;
        yield result.value;
        if (result.value.continuationToken === undefined || result.value.continuationToken === "") return;
      }
    } finally {
      await source?.return?.();
    }
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
