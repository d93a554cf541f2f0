import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Simulator } from '../simulator.js';

export function createControlApi(_sim: Simulator): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(404).end();
  };
}
