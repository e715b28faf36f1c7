// Starts @20minutes/s3rver (verifies SigV4 signatures) on 127.0.0.1.
// usage: node start.js DATA_DIR [PORT] [BUCKET]; prints "listening HOST:PORT" once ready.
const S3rver = require('@20minutes/s3rver');

const [directory, port = '0', bucket = 'timestore-test'] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
server.run().then(({ address, port: bound }) => console.log(`listening ${address}:${bound}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
