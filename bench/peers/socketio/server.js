// The socket.io peer of classchat's benchmark (crates/bench): a minimal chat server.
// Each client connects with ?user=<id>&rooms=<a,b,...> and joins one room per conversation;
// `send` {room, body, id} relays {room, author, body, id} to the room's other members and
// acks the sender. Nothing is stored: this is the fan-out cost only, with no durability.
// Prints "socketio listening on http://127.0.0.1:<port>" once ready.
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const httpServer = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  maxHttpBufferSize: 32 * 1024,
});

io.on('connection', (socket) => {
  const user = String(socket.handshake.query.user || '');
  const rooms = String(socket.handshake.query.rooms || '');
  for (const room of rooms.split(',')) {
    if (room) socket.join(room);
  }
  socket.on('send', (msg, ack) => {
    if (!msg || typeof msg.room !== 'string') return;
    socket.to(msg.room).emit('message', { room: msg.room, author: user, body: msg.body, id: msg.id });
    if (typeof ack === 'function') ack({ id: msg.id });
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address();
  console.log(`socketio listening on http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
