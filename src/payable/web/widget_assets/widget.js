// The CRM widget: one day's bookings with their payment status, kept live by bookingEvents.
// Plain script, no build step; graphql-ws (vendored from npm) is the global `graphqlWs`.
"use strict";

(function () {
  const ZONE = "Asia/Yerevan"; // the API's service days are days in the business time zone
  const TOKEN_KEY = "payable.widget.token";
  const PAGE = 100;
  const MAX_PAGES = 10;
  const CHANGES_SHOWN = 8;
  const RESUME_DELAYS_MS = [250, 500, 1000, 2000]; // then every 2 s until the server is back

  const ROW = `fragment Row on PayableBooking {
    id kind reference status paymentStatus updatedAt
    customer { externalRef }
    price { amount currency } amountPaid { amount currency } balanceDue { amount currency }
    ... on ClinicAppointment { slotStart }
    ... on CourseEnrollment { periodStart }
    ... on TourBooking { tourDate participantCount }
  }`;
  const LIST = `query WidgetBookings($day: Date!, $after: String) {
    bookings(first: ${PAGE}, after: $after, filter: {serviceFrom: $day, serviceTo: $day}) {
      edges { node { ...Row } }
      pageInfo { hasNextPage endCursor }
    }
  } ${ROW}`;
  const LIVE = `subscription WidgetEvents($after: String) {
    bookingEvents(after: $after) { sequence type occurredAt booking { ...Row } }
  } ${ROW}`;

  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    day: null,
    rows: new Map(), // booking id -> booking as last read
    lastSequence: null, // the resume cursor: the newest event this page has applied
    client: null,
    failures: 0,
  };

  // ---- token: from the URL fragment (never sent to a server), or pasted; kept per tab ----

  function tokenFromFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const token = fragment.get("token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", location.pathname + location.search); // off the address bar
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function bareToken(text) {
    // Accept a bare token, "Bearer <token>" or the {"Authorization": "Bearer …"} header JSON.
    let value = text.trim();
    try {
      const parsed = JSON.parse(value);
      if (parsed && typeof parsed.Authorization === "string") value = parsed.Authorization;
    } catch (_) {
      /* not JSON: a token or a header value */
    }
    return value.replace(/^Authorization:\s*/i, "").replace(/^Bearer\s+/i, "").trim();
  }

  function askForToken(problem) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.client) state.client.dispose();
    state.client = null;
    $("board").hidden = true;
    $("token-form").hidden = false;
    $("token-problem").textContent = problem || "";
    setConnection("offline", "no token");
  }

  // ---- what the page shows ----

  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE }).format(new Date());
  }

  function serviceDay(booking) {
    if (booking.slotStart) return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE })
      .format(new Date(booking.slotStart));
    return booking.periodStart || booking.tourDate || null;
  }

  function when(booking) {
    if (booking.slotStart) {
      return new Intl.DateTimeFormat("en-GB", {
        timeZone: ZONE, hour: "2-digit", minute: "2-digit",
      }).format(new Date(booking.slotStart));
    }
    return booking.kind === "COURSE_ENROLLMENT" ? "course starts" : "tour day";
  }

  function amount(money) {
    // The decimal string as sent, thousands grouped: display never goes through a float.
    const [whole, fraction] = money.amount.split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return fraction && !/^0+$/.test(fraction) ? `${grouped}.${fraction}` : grouped;
  }

  function words(code) {
    const text = code.toLowerCase().replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  const KINDS = { CLINIC_APPOINTMENT: "clinic", COURSE_ENROLLMENT: "course", TOUR_BOOKING: "tour" };

  function cell(row, text, className, sub) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    if (sub) {
      const small = document.createElement("span");
      small.className = "sub";
      small.textContent = sub;
      td.appendChild(small);
    }
    return td;
  }

  function renderRow(booking, changed) {
    const tr = document.createElement("tr");
    tr.dataset.id = booking.id;
    tr.dataset.reference = booking.reference;
    tr.dataset.paymentStatus = booking.paymentStatus;
    tr.dataset.status = booking.status;
    if (changed) tr.className = "changed";
    const people = booking.participantCount ? `${booking.participantCount} people` : "";
    cell(tr, when(booking), "", KINDS[booking.kind] + (people ? ` · ${people}` : ""));
    cell(tr, booking.reference);
    cell(tr, booking.customer.externalRef);
    cell(tr, words(booking.status), "st-" + booking.status);
    const pill = document.createElement("span");
    pill.className = "pill pay-" + booking.paymentStatus;
    pill.textContent = words(booking.paymentStatus);
    tr.insertCell().appendChild(pill);
    cell(tr, amount(booking.amountPaid), "money");
    cell(tr, `${amount(booking.price)} ${booking.price.currency}`, "money");
    cell(tr, amount(booking.balanceDue), "money");
    return tr;
  }

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function order(a, b) {
    // Timed appointments by their time, then the day-long course starts and tours.
    return compare(a.slotStart || "~", b.slotStart || "~") || compare(a.kind, b.kind) ||
      compare(a.reference, b.reference);
  }

  function render(changedId) {
    const bookings = [...state.rows.values()].sort(order);
    $("rows").replaceChildren(...bookings.map((b) => renderRow(b, b.id === changedId)));
    $("empty").hidden = bookings.length > 0;
    const paid = bookings.filter((b) => b.paymentStatus === "PAID").length;
    const waiting = bookings.filter((b) => b.status === "AWAITING_PAYMENT").length;
    $("summary").textContent =
      `${bookings.length} booking${bookings.length === 1 ? "" : "s"} · ${paid} paid in full · ` +
      `${waiting} awaiting payment`;
  }

  function noteChange(event) {
    const item = document.createElement("li");
    item.dataset.sequence = event.sequence;
    const at = new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).format(new Date(event.occurredAt));
    item.append(`${at} · `);
    const reference = document.createElement("b");
    reference.textContent = event.booking.reference;
    item.append(reference, ` · ${words(event.type)} · ${words(event.booking.paymentStatus)}`);
    const list = $("changes");
    $("no-changes")?.remove();
    list.prepend(item);
    while (list.children.length > CHANGES_SHOWN) list.lastElementChild.remove();
  }

  function setConnection(kind, text) {
    const label = $("connection");
    label.dataset.state = kind;
    label.textContent = text;
  }

  // ---- reading: one HTTP query for the day, then the live stream ----

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    const codes = (body.errors || []).map((e) => (e.extensions || {}).code);
    if (codes.includes("UNAUTHENTICATED")) throw new TokenRefused(body.errors[0].message);
    if (body.errors) throw new Error(body.errors[0].message);
    return body.data;
  }

  class TokenRefused extends Error {}

  async function loadDay() {
    const rows = new Map();
    let after = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { bookings } = await graphql(LIST, { day: state.day, after });
      for (const edge of bookings.edges) rows.set(edge.node.id, edge.node);
      if (!bookings.pageInfo.hasNextPage) break;
      after = bookings.pageInfo.endCursor;
    }
    // Anything the stream already delivered while the list was read is at least as new.
    for (const [id, booking] of state.rows) {
      const listed = rows.get(id);
      if (!listed || listed.updatedAt <= booking.updatedAt) rows.set(id, booking);
    }
    state.rows = rows;
    render(null);
  }

  function newer(a, b) {
    // Sequences are strings of digits; compare them as numbers of any size.
    return a.length !== b.length ? a.length > b.length : a > b;
  }

  function apply(event) {
    if (state.lastSequence && !newer(event.sequence, state.lastSequence)) return; // seen
    state.lastSequence = event.sequence;
    const booking = event.booking;
    const shown = state.rows.get(booking.id);
    if (shown && shown.updatedAt > booking.updatedAt) return;
    if (shown || serviceDay(booking) === state.day) {
      state.rows.set(booking.id, booking);
      render(booking.id);
    }
    noteChange(event);
  }

  function listen() {
    // After a cut the stream resumes from the last applied event: nothing lost, none twice.
    const variables = state.lastSequence ? { after: state.lastSequence } : {};
    state.client.subscribe({ query: LIVE, variables }, {
      next: (result) => {
        if (result.data) apply(result.data.bookingEvents);
      },
      error: (reason) => resume(reason),
      complete: () => resume(null), // ended by the server (e.g. SLOW_CONSUMER): resume too
    });
  }

  function resume(reason) {
    if (reason && reason.code === 4403) return askForToken(reason.reason || "token refused");
    if (!state.client) return;
    setConnection("connecting", "reconnecting…");
    const delay = RESUME_DELAYS_MS[Math.min(state.failures, RESUME_DELAYS_MS.length - 1)];
    state.failures += 1;
    setTimeout(listen, delay);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    state.client = graphqlWs.createClient({
      url: `${scheme}//${location.host}/graphql`,
      connectionParams: () => ({ Authorization: `Bearer ${state.token}` }),
      lazy: true,
      retryAttempts: 0, // this page resumes by itself, with `after`
      on: {
        connected: () => {
          state.failures = 0;
          setConnection("live", "live");
        },
        closed: () => {
          if (state.client) setConnection("connecting", "reconnecting…");
        },
      },
    });
    listen();
  }

  async function open() {
    $("token-form").hidden = true;
    $("board").hidden = false;
    state.day = $("day").value = $("day").value || today();
    state.rows = new Map();
    try {
      if (!state.client) connect();
      await loadDay();
    } catch (error) {
      if (error instanceof TokenRefused) return askForToken(error.message);
      setConnection("offline", `could not read the bookings: ${error.message}`);
    }
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = bareToken($("token-input").value);
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $("token-input").value = "";
    open();
  });
  $("day").addEventListener("change", () => {
    if (state.token) open();
  });

  state.token = tokenFromFragment();
  if (state.token) open();
  else askForToken("");
})();
