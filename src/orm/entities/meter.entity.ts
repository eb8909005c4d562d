import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Timestamped } from './base.js';
import { MeterProtocol, MeterStatus } from './enums.js';
import { MeterBox } from './meter-box.entity.js';
import { OrgUnit } from './org-unit.entity.js';

@Entity({ tableName: 'meter' })
export class Meter extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 32, unique: true })
  assetNo!: string;

  @Property({ type: 'string', length: 64, unique: true })
  barcode!: string;

  /** Communication address: 12 BCD digits for DL/T 645 meters. */
  @Property({ type: 'string', length: 12, index: true })
  commAddress!: string;

  @Enum({ items: () => MeterProtocol })
  protocol!: MeterProtocol;

  @Property({ type: 'string', length: 64 })
  manufacturer!: string;

  @Property({ type: 'string', length: 64 })
  model!: string;

  @Property({ type: 'decimal', precision: 12, scale: 4, default: '1' })
  ctRatio: Opt<string> = '1';

  @Property({ type: 'decimal', precision: 12, scale: 4, default: '1' })
  ptRatio: Opt<string> = '1';

  /** Integer digits of the register; it rolls over at 10^digits. */
  @Property({ type: 'smallint', default: 6 })
  registerDigits: Opt<number> = 6;

  @Property({ type: 'smallint', default: 2 })
  registerDecimals: Opt<number> = 2;

  @Property({ type: 'string', length: 8 })
  accuracyClass!: string;

  @Enum({ items: () => MeterStatus, default: MeterStatus.IN_STOCK })
  status: Opt<MeterStatus> = MeterStatus.IN_STOCK;

  @Property({ type: 'datetime', nullable: true })
  installedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  removedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  scrappedAt?: Date;

  @Property({ type: 'string', columnType: 'date', nullable: true, index: true })
  nextVerificationDate?: string;

  @ManyToOne({ entity: () => MeterBox, nullable: true, deleteRule: 'set null', index: true })
  meterBox?: MeterBox;

  /** Owner for scoping: the transformer area when installed, the stocking unit otherwise. */
  @ManyToOne({ entity: () => OrgUnit, deleteRule: 'restrict', index: true })
  orgUnit!: OrgUnit;
}
