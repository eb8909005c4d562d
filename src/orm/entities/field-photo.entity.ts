import { Entity, Index, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { HazardReport } from './hazard-report.entity.js';
import { OrgUnit } from './org-unit.entity.js';
import { User } from './user.entity.js';
import { WorkOrder, WorkOrderStop } from './work-order.entity.js';

/**
 * A photo taken in the field as evidence (paper 3.4: installers and outsourced staff scan and
 * photograph): of a work order, one of its stops, or a hazard report. The bytes live in the photo
 * store under `storageKey`; the row keeps what was checked on upload (type by magic bytes, size,
 * digest) and where and when it was taken. It belongs to the unit of what it documents, else to
 * the uploader's unit, which scopes who may see it.
 */
@Entity({ tableName: 'field_photo' })
@Index({ name: 'field_photo_uploader_created_idx', properties: ['uploadedBy', 'createdAt'] })
export class FieldPhoto {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** Where the store keeps the bytes; made by the server, never by the client. */
  @Property({ type: 'string', length: 200, unique: true })
  storageKey!: string;

  /** image/jpeg, image/png or image/webp, as the file's own bytes say. */
  @Property({ type: 'string', length: 32 })
  contentType!: string;

  @Property({ type: 'integer' })
  byteSize!: number;

  /** Hex SHA-256 of the bytes, to show the evidence was not changed since. */
  @Property({ type: 'string', length: 64 })
  sha256!: string;

  /** Where it was taken (WGS-84), as the phone reported it. */
  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  latitude?: string;

  @Property({ type: 'decimal', precision: 9, scale: 6, nullable: true })
  longitude?: string;

  /** When it was taken, by the phone's clock (bounded on upload). */
  @Property({ type: 'datetime', nullable: true })
  takenAt?: Date;

  @ManyToOne({ entity: () => User, deleteRule: 'restrict' })
  uploadedBy!: User;

  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;

  @ManyToOne({ entity: () => WorkOrder, nullable: true, deleteRule: 'set null', index: true })
  workOrder?: WorkOrder;

  @ManyToOne({ entity: () => WorkOrderStop, nullable: true, deleteRule: 'set null', index: true })
  stop?: WorkOrderStop;

  @ManyToOne({ entity: () => HazardReport, nullable: true, deleteRule: 'set null', index: true })
  hazardReport?: HazardReport;

  /** When the server received it. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}
