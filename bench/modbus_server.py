"""A Modbus TCP gateway with energy meters behind it, for `npm run bench:modbus`.

Serves on 127.0.0.1:<port> the units 1..<units> (the meters' RS485 addresses behind one gateway),
each with the same register map, five energy registers in two encodings:

  holding 0x0100..0x0109  forward active energy total, tariffs T1..T4: uint32, 0.01 kWh, high word first
  holding 0x4000..0x4009  the same five quantities as float32 kWh, high word first

Values differ per unit (unit n holds n * 1000 kWh more). bench/modbus.mjs repeats the map and the
values to check what it reads. Written for pymodbus 3.0 as Debian 12 ships it (python3-pymodbus),
like test/support/modbus_server.py. Prints one JSON line {"ready": true, ...} once it serves.
"""

import argparse
import asyncio
import json
import logging
import struct

import pymodbus
from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusTcpServer
from pymodbus.transaction import ModbusSocketFramer

# kWh of unit 1; the tariffs add up to the total.
ENERGY_KWH = [12345.67, 1234.56, 4567.89, 3456.78, 3086.44]


def f32(value):
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


def u32(value):
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def meter(unit):
    kwh = [v + (unit - 1) * 1000 for v in ENERGY_KWH]
    scaled = [w for v in kwh for w in u32(round(v * 100))]
    floats = [w for v in kwh for w in f32(v)]
    empty = ModbusSparseDataBlock({})
    return ModbusSlaveContext(
        di=empty,
        co=empty,
        hr=ModbusSparseDataBlock({0x0100: scaled, 0x4000: floats}),
        ir=ModbusSparseDataBlock({}),
        zero_mode=True,
    )


async def serve(host, port, units):
    context = ModbusServerContext(slaves={u: meter(u) for u in range(1, units + 1)}, single=False)
    server = ModbusTcpServer(context, framer=ModbusSocketFramer, address=(host, port), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print(json.dumps({"ready": True, "pymodbus": pymodbus.__version__, "port": port, "units": units}), flush=True)
    await task


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--units", type=int, default=8)
    args = parser.parse_args()
    # pymodbus logs every client disconnect as an error: keep it quiet.
    logging.basicConfig(level=logging.CRITICAL, force=True)
    try:
        asyncio.run(serve(args.host, args.port, args.units))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
