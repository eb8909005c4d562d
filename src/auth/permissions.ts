import { PermissionScope, Role } from '../orm/entities/enums.js';

/** Everything a rule can name. `all` and `manage` are CASL's wildcards. */
export const SUBJECTS = [
  'all',
  'OrgUnit',
  'MeterBox',
  'Meter',
  'Customer',
  'ServicePoint',
  'MeterAssignment',
  'Reading',
  'User',
  'RolePermission',
  'CollectorPlugin',
  'Alarm',
  'Channel',
  'AuditRecord',
  'LoginPolicy',
  'ApiKey',
  'SharingGrant',
  'SettlementRun',
  'Bill',
  'Tariff',
  'VeeRuleSet',
  'Payment',
  'PrepaymentEvent',
  'WorkOrder',
  'WorkOrderKindSetting',
  'HazardReport',
  'TrainingRecord',
  'Assessment',
  'ReadingRoute',
  'FieldPhoto',
  'WorkerPosition',
] as const;
export type Subject = (typeof SUBJECTS)[number];

export const ACTIONS = ['manage', 'read', 'create', 'update', 'delete', 'import'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * What a sharing grant can share: archive rows that reach their org unit, read-only. Channels are
 * left out (their settings hold device addresses and broker credentials), and so is everything
 * that is not archive data (users, rules, grants themselves).
 */
export const SHAREABLE_SUBJECTS = [
  'OrgUnit',
  'MeterBox',
  'Meter',
  'Customer',
  'ServicePoint',
  'MeterAssignment',
  'Reading',
  'Alarm',
] as const satisfies readonly Subject[];
export type ShareableSubject = (typeof SHAREABLE_SUBJECTS)[number];

/** Customer fields that are personal data (field rules hide them). */
export const PERSONAL_FIELDS = ['phone', 'idNumber'] as const;

export interface PermissionRule {
  action: Action;
  subject: Subject;
  fields?: string[];
  inverted?: boolean;
  scope: PermissionScope;
}

const subtree = PermissionScope.ORG_SUBTREE;
const own = PermissionScope.OWN_ACCOUNT;
const all = PermissionScope.ALL;
const archive: Subject[] = [...SHAREABLE_SUBJECTS, 'Channel'];
const read = (subjects: Subject[], scope: PermissionScope): PermissionRule[] =>
  subjects.map((subject) => ({ action: 'read', subject, scope }));
/** One rule per action on `subject`, all with the same scope. */
const each = (actions: Action[], subject: Subject, scope: PermissionScope): PermissionRule[] =>
  actions.map((action) => ({ action, subject, scope }));
/** Tariffs are the company's published prices: every person may read them, whatever their unit. */
const tariffs: PermissionRule = { action: 'read', subject: 'Tariff', scope: all };

/**
 * Field staff report hazards and see the station's reports and reading routes; they take and see
 * the station's photo evidence, and send their own position (recordPosition always records the
 * caller's). Their own training records and their own assessment row (KPIs) are theirs to read:
 * OWN_ACCOUNT is, for staff, their own records.
 */
const fieldStaff: PermissionRule[] = [
  { action: 'read', subject: 'HazardReport', scope: subtree },
  { action: 'create', subject: 'HazardReport', scope: subtree },
  { action: 'read', subject: 'TrainingRecord', scope: own },
  { action: 'read', subject: 'Assessment', scope: own },
  { action: 'read', subject: 'ReadingRoute', scope: subtree },
  { action: 'read', subject: 'FieldPhoto', scope: subtree },
  { action: 'create', subject: 'FieldPhoto', scope: subtree },
  { action: 'create', subject: 'WorkerPosition', scope: subtree },
];

/**
 * The rules a fresh installation starts with. They are copied into role_permission on first start;
 * from then on the table is the truth and admins change it through the API.
 */
export const DEFAULT_PERMISSIONS: Record<Role, PermissionRule[]> = {
  [Role.ADMIN]: [{ action: 'manage', subject: 'all', scope: all }],
  [Role.STATION_MANAGER]: [
    ...read([...archive, 'User'], subtree),
    ...(['MeterBox', 'Meter', 'Customer', 'ServicePoint', 'Channel'] as Subject[]).flatMap((subject) => [
      { action: 'create' as const, subject, scope: subtree },
      { action: 'update' as const, subject, scope: subtree },
    ]),
    { action: 'import', subject: 'Customer', scope: subtree },
    tariffs,
    { action: 'update', subject: 'Alarm', scope: subtree },
    { action: 'create', subject: 'Reading', scope: subtree },
    // Settlement: run the month, approve and issue the bills (update).
    ...read(['SettlementRun', 'Bill'], subtree),
    { action: 'create', subject: 'SettlementRun', scope: subtree },
    { action: 'update', subject: 'Bill', scope: subtree },
    // Accounts: record payments and reverse them (update), follow prepayment's notices and commands.
    ...read(['Payment', 'PrepaymentEvent'], subtree),
    { action: 'create', subject: 'Payment', scope: subtree },
    { action: 'update', subject: 'Payment', scope: subtree },
    // VEE: validate, estimate and edit the station's readings, and keep its rule sets.
    { action: 'update', subject: 'Reading', scope: subtree },
    ...each(['read', 'create', 'update', 'delete'], 'VeeRuleSet', subtree),
    // A station owns its data: its manager may share it (read-only, for a limited time) and revoke
    // what was shared. "update" is revoking; the subtree is the grant's source unit.
    ...each(['read', 'create', 'update'], 'SharingGrant', subtree),
    // Field work: plan it, assign it (two people), approve or reject what comes back, close it.
    ...each(['read', 'create', 'update'], 'WorkOrder', subtree),
    { action: 'read', subject: 'WorkOrderKindSetting', scope: all },
    // Hazards: verify (update) what staff report; keep the staff's training records.
    ...each(['read', 'create', 'update'], 'HazardReport', subtree),
    ...each(['read', 'create', 'update', 'delete'], 'TrainingRecord', subtree),
    // Assessment: the KPIs of the units of the subtree and of the people working there.
    { action: 'read', subject: 'Assessment', scope: subtree },
    // Reading routes: generate them from the archive, draw and change them by hand.
    ...each(['read', 'create', 'update'], 'ReadingRoute', subtree),
    // Field work of their own, and where the station's staff are.
    { action: 'read', subject: 'FieldPhoto', scope: subtree },
    { action: 'create', subject: 'FieldPhoto', scope: subtree },
    { action: 'create', subject: 'WorkerPosition', scope: subtree },
    { action: 'read', subject: 'WorkerPosition', scope: subtree },
  ],
  [Role.METER_READER]: [
    ...read(archive, subtree),
    // The station's work orders; working on one takes being assigned to it, not a rule.
    { action: 'read', subject: 'WorkOrder', scope: subtree },
    ...fieldStaff,
    { action: 'read', subject: 'Customer', fields: [...PERSONAL_FIELDS], inverted: true, scope: all },
    // No reading alone (paper 3.1): a reader's readings are taken on a work order's stops, in pairs.
    tariffs,
  ],
  [Role.INSPECTOR]: [
    ...read(archive, subtree),
    tariffs,
    { action: 'read', subject: 'WorkOrder', scope: subtree },
    ...fieldStaff,
  ],
  [Role.AUDITOR]: [
    ...read(
      [
        ...archive,
        'User',
        'RolePermission',
        'CollectorPlugin',
        'AuditRecord',
        'LoginPolicy',
        'SharingGrant',
        'ApiKey',
        'SettlementRun',
        'Bill',
        'Tariff',
        'VeeRuleSet',
        'Payment',
        'PrepaymentEvent',
        'WorkOrder',
        'WorkOrderKindSetting',
        'HazardReport',
        'TrainingRecord',
        'Assessment',
        'ReadingRoute',
        'FieldPhoto',
        'WorkerPosition',
      ],
      all,
    ),
  ],
  [Role.CUSTOMER]: [
    ...read(
      ['Customer', 'ServicePoint', 'MeterAssignment', 'Meter', 'Reading', 'Bill', 'Payment', 'PrepaymentEvent'],
      own,
    ),
    tariffs,
  ],
  [Role.COLLECTOR_SERVICE]: [
    ...read(['OrgUnit', 'MeterBox', 'Meter'], all),
    { action: 'create', subject: 'Reading', scope: all },
  ],
};
