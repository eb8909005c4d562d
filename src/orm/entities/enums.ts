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
