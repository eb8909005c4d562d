/** What a photo file is, as its own first bytes say: the type a client declares is not trusted. */
export interface PhotoType {
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  extension: 'jpg' | 'png' | 'webp';
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The photo type of `bytes` (JPEG, PNG or WebP), or null for anything else. */
export function sniffPhotoType(bytes: Buffer): PhotoType | null {
  // JPEG: SOI marker followed by the next marker's 0xFF.
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return { contentType: 'image/jpeg', extension: 'jpg' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE))
    return { contentType: 'image/png', extension: 'png' };
  // WebP: a RIFF container whose form type is WEBP.
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP')
    return { contentType: 'image/webp', extension: 'webp' };
  return null;
}

/** The content types a photo may have (for messages and docs). */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
