import type { SimCore } from '../core/sim-core.js';
import type { CreatePhoneOptions } from '../simulator.js';
import type { VirtualPhone } from '../network/phone.js';
import type { PhoneSignal } from '../network/phone-signal.js';

export async function saveState(_core: SimCore, _dir: string): Promise<void> {}
export async function loadState(
  _core: SimCore,
  _dir: string,
  _createPhone: (o: CreatePhoneOptions, s: PhoneSignal) => VirtualPhone,
  _lidForPn: (pns: string[]) => { pn: string; lid: string }[],
): Promise<void> {}
