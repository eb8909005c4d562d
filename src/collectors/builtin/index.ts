import { dlt645Serial, dlt645Tcp } from './dlt645/index.js';
import { modbusRtu, modbusTcp } from './modbus/index.js';
import mqttJson from './mqtt/index.js';
import simulator from './simulator/index.js';

/** First-party collectors, loaded in-process by the plugin host. */
export const BUILTIN_COLLECTORS = [dlt645Tcp, dlt645Serial, modbusTcp, modbusRtu, mqttJson, simulator];
