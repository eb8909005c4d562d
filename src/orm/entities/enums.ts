/** Enumerations stored as text with CHECK constraints; the GraphQL enums reuse them verbatim. */
export enum OrgUnitKind {
  COMPANY = 'COMPANY',
  BUREAU = 'BUREAU',
  SUPPLY_STATION = 'SUPPLY_STATION',
  TRANSFORMER_AREA = 'TRANSFORMER_AREA',
}

export enum MeterStatus {
  IN_STOCK = 'IN_STOCK',
  INSTALLED = 'INSTALLED',
  REMOVED = 'REMOVED',
  SCRAPPED = 'SCRAPPED',
}

export enum MeterProtocol {
  DLT645_2007 = 'DLT645_2007',
  DLT645_1997 = 'DLT645_1997',
  MODBUS = 'MODBUS',
  DLMS = 'DLMS',
  IEC62056_21 = 'IEC62056_21',
  MQTT = 'MQTT',
  SIMULATED = 'SIMULATED',
  MANUAL = 'MANUAL',
}

export enum CustomerCategory {
  RESIDENTIAL = 'RESIDENTIAL',
  COMMERCIAL = 'COMMERCIAL',
  INDUSTRIAL = 'INDUSTRIAL',
  AGRICULTURAL = 'AGRICULTURAL',
}

export enum CustomerStatus {
  ACTIVE = 'ACTIVE',
  CLOSED = 'CLOSED',
}

/** Register codes: total and per TOU band (T1 critical peak, T2 peak, T3 flat, T4 valley). */
export enum RegisterCode {
  FORWARD_ACTIVE_TOTAL = 'FORWARD_ACTIVE_TOTAL',
  FORWARD_ACTIVE_T1 = 'FORWARD_ACTIVE_T1',
  FORWARD_ACTIVE_T2 = 'FORWARD_ACTIVE_T2',
  FORWARD_ACTIVE_T3 = 'FORWARD_ACTIVE_T3',
  FORWARD_ACTIVE_T4 = 'FORWARD_ACTIVE_T4',
  REVERSE_ACTIVE_TOTAL = 'REVERSE_ACTIVE_TOTAL',
  FORWARD_REACTIVE_TOTAL = 'FORWARD_REACTIVE_TOTAL',
  REVERSE_REACTIVE_TOTAL = 'REVERSE_REACTIVE_TOTAL',
  MAX_DEMAND_FORWARD_ACTIVE = 'MAX_DEMAND_FORWARD_ACTIVE',
}

export enum ReadingSource {
  AUTOMATIC = 'AUTOMATIC',
  MANUAL = 'MANUAL',
  ESTIMATED = 'ESTIMATED',
  EDITED = 'EDITED',
}

export enum ReadingQuality {
  GOOD = 'GOOD',
  SUSPECT = 'SUSPECT',
  BAD = 'BAD',
}

export enum Role {
  ADMIN = 'ADMIN',
  STATION_MANAGER = 'STATION_MANAGER',
  METER_READER = 'METER_READER',
  INSPECTOR = 'INSPECTOR',
  AUDITOR = 'AUDITOR',
  CUSTOMER = 'CUSTOMER',
  COLLECTOR_SERVICE = 'COLLECTOR_SERVICE',
}

/** Which rows a permission reaches: everything, the user's org subtree, or the user's own account. */
export enum PermissionScope {
  ALL = 'ALL',
  ORG_SUBTREE = 'ORG_SUBTREE',
  OWN_ACCOUNT = 'OWN_ACCOUNT',
}

/** The abnormality catalogue of Chinese collection systems (DOMAIN.md). */
export enum AlarmType {
  COMMUNICATION_FAILURE = 'COMMUNICATION_FAILURE',
  READING_FAILURE = 'READING_FAILURE',
  METER_OFFLINE = 'METER_OFFLINE',
  REGISTER_DECREASE = 'REGISTER_DECREASE',
  STOPPED_METER = 'STOPPED_METER',
  FLYING_METER = 'FLYING_METER',
  ENERGY_OVER_DEVIATION = 'ENERGY_OVER_DEVIATION',
  CLOCK_DEVIATION = 'CLOCK_DEVIATION',
  METER_COVER_OPEN = 'METER_COVER_OPEN',
  TERMINAL_COVER_OPEN = 'TERMINAL_COVER_OPEN',
  POWER_OFF = 'POWER_OFF',
  POWER_ON = 'POWER_ON',
  REVERSE_ENERGY = 'REVERSE_ENERGY',
  VOLTAGE_LOSS = 'VOLTAGE_LOSS',
  CURRENT_LOSS = 'CURRENT_LOSS',
  PHASE_IMBALANCE = 'PHASE_IMBALANCE',
  UNKNOWN_METER = 'UNKNOWN_METER',
  WRONG_TRANSFORMER_AREA = 'WRONG_TRANSFORMER_AREA',
}

export enum AlarmSeverity {
  CRITICAL = 'CRITICAL',
  MAJOR = 'MAJOR',
  MINOR = 'MINOR',
  WARNING = 'WARNING',
}

/** OPEN -> ACKNOWLEDGED -> CLEARED (the cause went away) or CLOSED (a person closed it). */
export enum AlarmStatus {
  OPEN = 'OPEN',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  CLEARED = 'CLEARED',
  CLOSED = 'CLOSED',
}

/** Whether a channel or a meter's collection settings can be used (checked against the plugin). */
export enum CollectionStatus {
  OK = 'OK',
  INVALID_SETTINGS = 'INVALID_SETTINGS',
  PLUGIN_MISSING = 'PLUGIN_MISSING',
}

/** What a collection schedule reads: current registers every N minutes, or each day's frozen values. */
export enum ScheduleKind {
  INTERVAL = 'INTERVAL',
  DAILY_FROZEN = 'DAILY_FROZEN',
}

/** Why a collection task exists: a schedule's slot, or somebody's on-demand read. */
export enum TaskKind {
  INTERVAL = 'INTERVAL',
  DAILY_FROZEN = 'DAILY_FROZEN',
  ON_DEMAND = 'ON_DEMAND',
}

/**
 * RUNNING: meters are being read (a daily-frozen task runs as its meters' reading windows open);
 * RETRYING: every meter was tried, some wait for re-collection; COMPLETED: every meter answered;
 * INCOMPLETE: re-collection gave up on some meters.
 */
export enum TaskStatus {
  RUNNING = 'RUNNING',
  RETRYING = 'RETRYING',
  COMPLETED = 'COMPLETED',
  INCOMPLETE = 'INCOMPLETE',
}

/** A meter a task could not read: waiting for its next attempt, read after all, or given up. */
export enum RetryStatus {
  PENDING = 'PENDING',
  RECOVERED = 'RECOVERED',
  GAVE_UP = 'GAVE_UP',
}

/** A settlement run: RUNNING, then COMPLETED (failures, if any, listed), or INTERRUPTED by a stop (run it again). */
export enum SettlementRunStatus {
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  INTERRUPTED = 'INTERRUPTED',
}

/**
 * DRAFT (recomputed in place when its readings change) -> APPROVED -> ISSUED. A change after
 * approval makes the next version (a DRAFT carrying the difference); issuing it SUPERSEDES the last.
 */
export enum BillStatus {
  DRAFT = 'DRAFT',
  APPROVED = 'APPROVED',
  ISSUED = 'ISSUED',
  SUPERSEDED = 'SUPERSEDED',
}

export enum BillLineKind {
  ENERGY = 'ENERGY',
  TIER = 'TIER',
  FIXED = 'FIXED',
  SURCHARGE = 'SURCHARGE',
}

/** What a tariff's tier thresholds count: the kWh of the calendar year, or of the billing cycle. */
export enum TierBasis {
  ANNUAL = 'ANNUAL',
  MONTHLY = 'MONTHLY',
}

/** How an ESTIMATED value was obtained (VEE estimation methods). */
export enum EstimationMethod {
  LINEAR_INTERPOLATION = 'LINEAR_INTERPOLATION',
  LIKE_DAY = 'LIKE_DAY',
  AVERAGE_DAILY_USE = 'AVERAGE_DAILY_USE',
}

/** How a payment reached the company. */
export enum PaymentMethod {
  CASH = 'CASH',
  BANK = 'BANK',
  WECHAT = 'WECHAT',
  ALIPAY = 'ALIPAY',
  COUNTER = 'COUNTER',
}

export { PrepaymentAction, PrepaymentState } from '../../shared/prepayment.js';

/**
 * What the relay port answered for a prepayment command (src/collectors/port.ts RelayOutcome),
 * or PENDING while it is being sent.
 */
export enum RelayOutcomeStatus {
  PENDING = 'PENDING',
  DONE = 'DONE',
  REFUSED = 'REFUSED',
  FAILED = 'FAILED',
  UNSUPPORTED = 'UNSUPPORTED',
  NOT_COLLECTED = 'NOT_COLLECTED',
}

/** The field work the paper names (3.3): each kind is assessed and may need two people (the two-person rule). */
export enum WorkOrderKind {
  PERIODIC_CHECK_READING = 'PERIODIC_CHECK_READING',
  ELECTRICITY_INSPECTION = 'ELECTRICITY_INSPECTION',
  METER_INSTALLATION = 'METER_INSTALLATION',
  METER_REMOVAL = 'METER_REMOVAL',
  METER_EXCHANGE = 'METER_EXCHANGE',
  PERIODIC_VERIFICATION = 'PERIODIC_VERIFICATION',
  HAZARD_RECTIFICATION = 'HAZARD_RECTIFICATION',
  ALARM_FOLLOW_UP = 'ALARM_FOLLOW_UP',
}

/**
 * CREATED -> ASSIGNED -> IN_PROGRESS -> SUBMITTED (every assignee confirmed) -> APPROVED or
 * REJECTED (back to work: IN_PROGRESS again) -> CLOSED. An order not yet approved can be closed
 * as cancelled, with a reason.
 */
export enum WorkOrderStatus {
  CREATED = 'CREATED',
  ASSIGNED = 'ASSIGNED',
  IN_PROGRESS = 'IN_PROGRESS',
  SUBMITTED = 'SUBMITTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
  CLOSED = 'CLOSED',
}

/** One place a work order visits: not yet, visited (with what was found), or skipped with a reason. */
export enum WorkOrderStopStatus {
  PENDING = 'PENDING',
  VISITED = 'VISITED',
  SKIPPED = 'SKIPPED',
}

/** A hazard someone found in the field: REPORTED, then VERIFIED by a manager (earning points) or DISMISSED. */
export enum HazardStatus {
  REPORTED = 'REPORTED',
  VERIFIED = 'VERIFIED',
  DISMISSED = 'DISMISSED',
}

/** What kind of hazard (paper 3.3: hazards in meters and meter boxes). */
export enum HazardCategory {
  METER_BOX_DAMAGE = 'METER_BOX_DAMAGE',
  METER_FAULT = 'METER_FAULT',
  SEAL_BROKEN = 'SEAL_BROKEN',
  ELECTRICITY_THEFT = 'ELECTRICITY_THEFT',
  WIRING_DANGER = 'WIRING_DANGER',
  OTHER = 'OTHER',
}

/** The outcome of a training course (paper 3.8). */
export enum TrainingResult {
  PASSED = 'PASSED',
  FAILED = 'FAILED',
  ATTENDED = 'ATTENDED',
}
