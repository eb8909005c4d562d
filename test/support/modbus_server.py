"""A Modbus server with known register values, for the Modbus collector's tests.

Serves, on 127.0.0.1:<port> (Modbus TCP) or on a serial device (Modbus RTU with --serial PATH):

  unit 1  three-phase meter, scaled integers (input and holding registers)
  unit 2  single-phase meter, float32 values (holding registers)
  unit 4  known to the gateway, but its meter does not answer: exception 0x0B (gateway target
          device failed to respond), as a TCP-to-RS485 gateway reports it
  others  no reply at all (pymodbus drops requests for unit ids it does not serve)

Registers outside the defined blocks answer exception 0x02 (illegal data address). Protocol
addresses are the data-block addresses (zero_mode), so "address 0x0100" here is 0x0100 on the wire.
The values below are the single source of truth; test/support/pymodbus-server.ts repeats them
for the tests' expectations.

Written for pymodbus 3.0 as Debian 12 ships it (python3-pymodbus); later 3.x releases renamed
parts of this API. Prints one JSON line {"ready": true, ...} on stdout once it serves.
"""

import argparse
import asyncio
import json
import logging
import struct
import sys

import pymodbus
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.exceptions import NoSuchSlaveException
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer

GATEWAY_TARGET_MISSING = 4


def f32(value):
    """A float32 as two registers, high word first."""
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def u32(value):
    """An unsigned 32-bit integer as two registers, high word first."""
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def i32(value):
    return u32(value & 0xFFFFFFFF)


def i16(value):
    return value & 0xFFFF


def swapped(words):
    """Word-swapped (low word first), as many meters send 32-bit values."""
    return [words[1], words[0]]


# Unit 1: a three-phase meter with scaled integers.
THREE_PHASE_INPUT = {
    0x0000: [2301, 2298, 2305],  # phase voltages, 0.1 V
    0x0003: [1523, 1498, 1510],  # phase currents, 0.01 A
    0x0006: i32(-12345),  # total active power, 0.001 kW (negative: exporting)
}
THREE_PHASE_HOLDING = {
    0x0100: u32(123456789),  # forward active energy, 0.01 kWh
    0x0102: u32(4321),  # reverse active energy, 0.01 kWh
    # Odd encodings, for the decoder:
    0x0200: swapped(f32(200.0)),  # float32, word-swapped
    0x0202: swapped(u32(123456789)),  # uint32, word-swapped
    0x0204: [i16(-1234)],  # int16, negative
    0x0205: [0x7FC0, 0x0000],  # float32 NaN
}

# Unit 2: a single-phase meter with float32 values.
SINGLE_PHASE_HOLDING = {
    0x2000: f32(230.1) + f32(5.25) + f32(1.208),  # voltage V, current A, active power kW
    0x4000: f32(98765.43),  # forward active energy, kWh
}


def block(values):
    return ModbusSparseDataBlock(values)


def unit(holding=None, inputs=None):
    return ModbusSlaveContext(
        di=block({}),
        co=block({}),
        hr=block(holding or {}),
        ir=block(inputs or {}),
        zero_mode=True,
    )


class MissingTarget(ModbusSlaveContext):
    """A unit the gateway knows but cannot reach: pymodbus answers exception 0x0B for it."""

    def validate(self, fc_as_hex, address, count=1):
        raise NoSuchSlaveException(f"unit {GATEWAY_TARGET_MISSING} does not answer")


def context():
    return ModbusServerContext(
        slaves={
            1: unit(holding=THREE_PHASE_HOLDING, inputs=THREE_PHASE_INPUT),
            2: unit(holding=SINGLE_PHASE_HOLDING),
            GATEWAY_TARGET_MISSING: MissingTarget(),
        },
        single=False,
    )


def ready(**info):
    print(json.dumps({"ready": True, "pymodbus": pymodbus.__version__, **info}), flush=True)


async def serve_tcp(host, port):
    server = ModbusTcpServer(
        context(),
        framer=ModbusSocketFramer,
        address=(host, port),
        allow_reuse_address=True,
    )
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    ready(port=port)
    await task


async def serve_serial(path):
    """RTU on a serial device: in the tests, one end of a socat pseudo-terminal pair.

    Baud rate and parity mean nothing on a pseudo-terminal, so the server keeps pyserial's
    defaults (8N1) whatever the client sets.
    """
    server = ModbusSerialServer(context(), framer=ModbusRtuFramer, port=path)
    await server.start()
    if server.transport is None:
        # pymodbus 3.0 logs a failed open at debug level and carries on; fail loudly instead.
        raise SystemExit(f"cannot open {path} for the Modbus RTU server")
    ready(path=path)
    await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="Modbus TCP port to listen on")
    parser.add_argument("--serial", metavar="PATH", help="serve Modbus RTU on this serial device instead")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.serial and args.port is None:
        parser.error("--port is required unless --serial is given")
    if not pymodbus.__version__.startswith("3.0"):
        print(f"pymodbus {pymodbus.__version__} found, this server is written for 3.0 (Debian 12)", file=sys.stderr)
    # pymodbus configures logging when imported and logs every exception reply and client
    # disconnect as an error; keep the output quiet unless asked.
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL, force=True)
    try:
        if args.serial:
            asyncio.run(serve_serial(args.serial))
        else:
            asyncio.run(serve_tcp(args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
