import type { FileRef } from '@commonroom/model';

/** Raster images the server thumbnails and serves inline; anything else is a card with Download. */
export const isImage = (f: FileRef): boolean => /^image\/(jpeg|png|gif|webp)$/.test(f.type);
