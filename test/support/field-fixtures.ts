import type { TestServer } from '../harness.js';

/**
 * Field work fixtures written straight to the database, as the work-order service writes them: an
 * order in a unit with its assignees and stops. (Tests of the field API need orders in given
 * states, not the way they got there.)
 */

/** A 1x1 JPEG (JFIF), the smallest a phone could send. */
export const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);
/** The start of a PDF: what a careless client might send as "photo.jpg". */
export const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

export const sqlOf = (server: TestServer) => ({
  async rows<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return server.em().getConnection().execute(text, params);
  },
  async one<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T> {
    return (await server.em().getConnection().execute(text, params))[0] as T;
  },
});

export async function idOf(server: TestServer, table: string, column: string, value: string): Promise<number> {
  const row = await sqlOf(server).one<{ id: number }>(`select id from ${table} where ${column} = ?`, [value]);
  if (!row) throw new Error(`no ${table} with ${column} = ${value}`);
  return Number(row.id);
}

export interface OrderFixture {
  unit: number;
  createdBy: number;
  status: string;
  dueAt: Date;
  title?: string;
  kind?: string;
  assignees?: number[];
  meterBox?: number;
  meter?: number;
  customer?: number;
}

export async function insertWorkOrder(server: TestServer, o: OrderFixture): Promise<number> {
  const sql = sqlOf(server);
  const row = await sql.one<{ id: number }>(
    `insert into work_order (kind, status, title, org_unit_id, due_at, created_by_id, meter_box_id, meter_id, customer_id, assigned_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      o.kind ?? 'PERIODIC_CHECK_READING',
      o.status,
      o.title ?? `Check reading ${o.status.toLowerCase()}`,
      o.unit,
      o.dueAt.toISOString(),
      o.createdBy,
      o.meterBox ?? null,
      o.meter ?? null,
      o.customer ?? null,
      o.assignees?.length ? new Date().toISOString() : null,
    ],
  );
  for (const user of o.assignees ?? [])
    await sql.rows(`insert into work_order_assignee (work_order_id, user_id) values (?, ?)`, [row.id, user]);
  return Number(row.id);
}

export interface StopFixture {
  meterBox?: number;
  meter?: number;
  customer?: number;
  status?: string;
  visitedBy?: number;
  visitedAt?: Date;
  fieldValue?: string;
}

export async function insertStop(server: TestServer, order: number, seq: number, s: StopFixture): Promise<number> {
  const row = await sqlOf(server).one<{ id: number }>(
    `insert into work_order_stop (work_order_id, seq, meter_box_id, meter_id, customer_id, status, visited_by_id, visited_at, field_value)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [
      order,
      seq,
      s.meterBox ?? null,
      s.meter ?? null,
      s.customer ?? null,
      s.status ?? 'PENDING',
      s.visitedBy ?? null,
      s.visitedAt?.toISOString() ?? null,
      s.fieldValue ?? null,
    ],
  );
  return Number(row.id);
}

export interface UploadResult {
  status: number;
  body: {
    id?: string;
    url?: string;
    contentType?: string;
    byteSize?: number;
    sha256?: string;
    code?: string;
    message?: string;
    fields?: { path: (string | number)[]; message: string }[];
  };
}

/** POST /field/photos as a phone sends it: multipart/form-data, the file in `file`. */
export async function uploadPhoto(
  server: TestServer,
  token: string | undefined,
  file: { bytes: Buffer; name?: string; type?: string } | null,
  fields: Record<string, string> = {},
): Promise<UploadResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file)
    form.append(
      'file',
      new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'image/jpeg' }),
      file.name ?? 'photo.jpg',
    );
  const res = await fetch(`${server.url}/field/photos`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  return { status: res.status, body: (await res.json()) as UploadResult['body'] };
}
