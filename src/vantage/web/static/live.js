// One WebSocket per page for live channels. After a lost connection it shows a banner,
// reconnects with back-off and resubscribes with ``since`` = the last position seen, so
// nothing is missed and nothing is reloaded; when the server cannot recover the gap the
// channel's ``onReset`` reloads its state over REST. ``onReset`` also runs when a channel's
// first subscription is acknowledged: a page loads its state while the subscription is on its
// way, and what changed between that load and the subscription taking hold came on no channel.
import { accessToken, goToSignIn, refresh } from "./auth.js";

const MAX_BACKOFF_MS = 5000;

class LiveConnection {
  constructor() {
    this.channels = new Map(); // name -> {onMessage, onReset, since}
    this.socket = null;
    this.backoff = 250;
    this.everOpened = false;
  }

  subscribe(channel, onMessage, onReset = () => {}) {
    this.channels.set(channel, { onMessage, onReset, since: null });
    if (this.socket?.readyState === WebSocket.OPEN && this.authenticated) this.sendSubscribe(channel);
    else if (!this.socket) this.connect();
  }

  unsubscribe(channel) {
    this.channels.delete(channel);
    if (this.socket?.readyState === WebSocket.OPEN) this.send({ op: "unsubscribe", channel });
  }

  send(message) {
    this.socket.send(JSON.stringify(message));
  }

  sendSubscribe(channel) {
    const { since } = this.channels.get(channel);
    this.send(since ? { op: "subscribe", channel, since } : { op: "subscribe", channel });
  }

  async connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.socket = socket;
    this.authenticated = false;
    socket.addEventListener("open", async () => {
      const token = await accessToken();
      if (!token) return goToSignIn();
      socket.send(JSON.stringify({ op: "auth", token }));
      this.authenticated = true;
      for (const channel of this.channels.keys()) this.sendSubscribe(channel);
    });
    socket.addEventListener("message", (event) => this.receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => this.lost(event));
  }

  receive(message) {
    const entry = this.channels.get(message.channel);
    if (message.op === "subscribed" && entry) {
      this.connected();
      if (!message.recovered) entry.onReset();
      entry.since = { epoch: message.epoch, offset: message.offset };
    } else if (message.op === "message" && entry) {
      entry.since = { epoch: message.epoch, offset: message.offset };
      entry.onMessage(message.data, message);
    } else if (message.op === "error") {
      console.warn("live channel error", message);
    }
  }

  connected() {
    this.backoff = 250;
    this.everOpened = true;
    banner(null);
  }

  async lost(event) {
    this.socket = null;
    if (event.code === 4001 && !(await refresh())) return goToSignIn();
    if (this.everOpened) banner("Live updates paused: the connection was lost. Reconnecting…");
    setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }
}

function banner(text) {
  const node = document.getElementById("live-banner");
  if (!node) return;
  node.textContent = text || "";
  node.hidden = !text;
}

let shared = null;

/** The page's live connection (opened on first subscribe). */
export function live() {
  shared ??= new LiveConnection();
  return shared;
}
