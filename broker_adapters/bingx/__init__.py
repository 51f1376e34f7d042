"""BingX USDT-M perpetuals (VST virtual trading) through ``ccxt.async_support``."""

from broker_adapters.bingx.adapter import BingxAdapter
from broker_adapters.bingx.cycle import VirtualCycleResult, run_virtual_vst_cycle

__all__ = ["BingxAdapter", "VirtualCycleResult", "run_virtual_vst_cycle"]
