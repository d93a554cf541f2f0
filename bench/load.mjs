// Load generator for gateway-overhead, in its own process: autocannon POSTing in turn each of
// several request variants (one per session), which its CLI cannot do. Config in BENCH_LOAD (JSON:
// { url, connections, amount, variants: [{ headers, body }] }); prints autocannon's result as JSON.
import autocannon from 'autocannon';

const config = JSON.parse(process.env.BENCH_LOAD ?? '{}');
let next = 0;
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  amount: config.amount,
  requests: [
    {
      setupRequest: (request) => {
        const variant = config.variants[next++ % config.variants.length];
        return { ...request, method: 'POST', headers: { 'content-type': 'application/json', ...variant.headers }, body: variant.body };
      },
    },
  ],
});
process.stdout.write(`${JSON.stringify(result)}\n`);
