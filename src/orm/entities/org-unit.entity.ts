import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Timestamped, type RowRef } from './base.js';
import { OrgUnitKind } from './enums.js';

/**
 * The organisation tree (company > bureau > supply station > transformer area).
 * `path` is a materialised path of ids ("/1/4/9/"), so a subtree is one indexed prefix match in SQL.
 */
@Entity({ tableName: 'org_unit' })
@Index({
  name: 'org_unit_path_idx',
  expression: 'create index "org_unit_path_idx" on "org_unit" ("path" text_pattern_ops)',
})
@Check({
  name: 'org_unit_line_loss_band',
  expression:
    '("line_loss_min" is null and "line_loss_max" is null) or (0 <= "line_loss_min" and "line_loss_min" <= "line_loss_max" and "line_loss_max" <= 100)',
})
export class OrgUnit extends Timestamped {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: () => OrgUnitKind })
  kind!: OrgUnitKind;

  @Property({ type: 'string', length: 32, unique: true })
  code!: string;

  @Property({ type: 'string', length: 128 })
  name!: string;

  @ManyToOne({ entity: () => OrgUnit, nullable: true, deleteRule: 'restrict', index: true })
  parent?: OrgUnit;

  @Property({ type: 'string', length: 512 })
  path!: string;

  /** IANA zone for local days (billing, daily frozen readings); null inherits from the parent. */
  @Property({ type: 'string', length: 64, nullable: true })
  timeZone?: string;

  /**
   * A transformer area's supply (total) meter, the purchased side of its line loss. By key: a
   * meter belongs to a unit, so the unit does not import the meter.
   */
  @ManyToOne({ entity: () => 'Meter', nullable: true, deleteRule: 'set null' })
  supplyMeter?: RowRef;

  /**
   * A transformer area's qualification band of its line loss rate, in percent (both or neither;
   * neither means the default band of src/billing/line-loss.ts).
   */
  @Property({ type: 'decimal', precision: 5, scale: 2, nullable: true })
  lineLossMin?: string | null;

  @Property({ type: 'decimal', precision: 5, scale: 2, nullable: true })
  lineLossMax?: string | null;
}
