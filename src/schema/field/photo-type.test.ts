import { describe, expect, it } from 'vitest';
import { sniffPhotoType } from './photo-type.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0 meter box')]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR...')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ...')]);

describe('sniffPhotoType', () => {
  it('knows JPEG, PNG and WebP by their first bytes', () => {
    expect(sniffPhotoType(JPEG)).toEqual({ contentType: 'image/jpeg', extension: 'jpg' });
    expect(sniffPhotoType(PNG)).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(sniffPhotoType(WEBP)).toEqual({ contentType: 'image/webp', extension: 'webp' });
  });

  it('refuses anything else, whatever it is called: a PDF, text, a RIFF that is not WebP, too few bytes', () => {
    expect(sniffPhotoType(Buffer.from('%PDF-1.7\n1 0 obj'))).toBeNull();
    expect(sniffPhotoType(Buffer.from('just text named photo.jpg'))).toBeNull();
    expect(sniffPhotoType(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt ')]))).toBeNull();
    expect(sniffPhotoType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffPhotoType(Buffer.alloc(0))).toBeNull();
  });
});
