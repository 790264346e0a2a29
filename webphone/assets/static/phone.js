// Web phone: sends MOs through the simulator's API (data-api, /sim) and
// shows the thread live, over Server-Sent Events with a long-polling
// fallback. No dependencies.
(function () {
  'use strict';

  var root = document.getElementById('phone');
  if (!root) { return; }
  var base = root.getAttribute('data-base'); // the page
  var api = root.getAttribute('data-api');   // the simulator's API
  var form = document.getElementById('compose');
  var msisdnEl = document.getElementById('msisdn');
  var toEl = document.getElementById('to');
  var textEl = document.getElementById('text');
  var sendEl = document.getElementById('send');
  var thread = document.getElementById('thread');
  var emptyEl = document.getElementById('empty');
  var errorEl = document.getElementById('error');
  var liveEl = document.getElementById('live');

  var current = thread.getAttribute('data-msisdn') || '';
  var cursor = Number(thread.getAttribute('data-cursor')) || 0;
  var gen = 0;          // bumped whenever the number changes; stale loops stop
  var source = null;    // the EventSource, when streaming
  var pollAbort = null; // the AbortController of the pending poll

  var items = new Map(); // message id -> <li>
  Array.prototype.forEach.call(thread.querySelectorAll('li.msg'), function (li) {
    items.set(Number(li.getAttribute('data-id')), li);
  });

  function setLive(state) {
    liveEl.textContent = state;
    liveEl.setAttribute('data-state', state);
  }

  function showError(msg) {
    errorEl.textContent = msg || '';
    errorEl.hidden = !msg;
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ''; }
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // render adds or updates one message; all text goes through textContent.
  function render(m) {
    var li = items.get(m.id);
    if (li && Number(li.getAttribute('data-rev')) > m.rev) { return; } // older than shown
    if (!li) {
      li = document.createElement('li');
      items.set(m.id, li);
      var next = null;
      for (var c = thread.firstElementChild; c; c = c.nextElementSibling) {
        if (Number(c.getAttribute('data-id')) > m.id) { next = c; break; }
      }
      thread.insertBefore(li, next);
    }
    var failed = m.dir === 'mo' && m.status && m.status !== 'sending' && m.status !== 'delivered';
    li.className = 'msg ' + (m.dir === 'mo' ? 'mo' : 'mt') + (failed ? ' failed' : '');
    li.setAttribute('data-id', String(m.id));
    li.setAttribute('data-rev', String(m.rev));
    li.setAttribute('data-code', m.code);
    var meta = el('div', 'meta');
    meta.appendChild(el('span', 'dir', (m.dir === 'mo' ? 'To ' : 'From ') + m.code));
    meta.appendChild(document.createTextNode(' '));
    var t = el('time', '', clock(m.time));
    t.setAttribute('datetime', m.time);
    meta.appendChild(t);
    if (m.status) {
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(el('span', 'status', m.status));
    }
    li.replaceChildren(meta, el('p', 'text', m.text));
    emptyEl.hidden = true;
  }

  // apply shows messages that arrived live; a reply selects its short code
  // so that answering a PIN prompt goes back where it came from.
  function apply(msgs, live) {
    var replyCode = null;
    msgs.forEach(function (m) {
      var isNew = !items.has(m.id);
      render(m);
      if (m.rev > cursor) { cursor = m.rev; }
      if (live && isNew && m.dir === 'mt') { replyCode = m.code; }
    });
    if (replyCode && Array.prototype.some.call(toEl.options, function (o) { return o.value === replyCode; })) {
      toEl.value = replyCode;
    }
    if (msgs.length) { thread.scrollTop = thread.scrollHeight; }
  }

  function stop() {
    gen++;
    if (source) { source.close(); source = null; }
    if (pollAbort) { pollAbort.abort(); pollAbort = null; }
  }

  function follow(msisdn) {
    stop();
    if (msisdn !== current) {
      current = msisdn;
      cursor = 0;
      items.clear();
      thread.replaceChildren();
      thread.setAttribute('data-msisdn', msisdn);
      emptyEl.textContent = msisdn ? 'No messages yet for this number.' : 'Choose a number to see its messages.';
      emptyEl.hidden = false;
      var url = base + (msisdn ? '?msisdn=' + encodeURIComponent(msisdn) : '');
      if (window.history && history.replaceState) { history.replaceState(null, '', url); }
    }
    if (!msisdn) { setLive('offline'); return; }
    if (window.EventSource) { stream(msisdn, gen); } else { poll(msisdn, gen); }
  }

  function stream(msisdn, g) {
    var es = new EventSource(api + '/events?msisdn=' + encodeURIComponent(msisdn) + '&after=' + cursor);
    source = es;
    var ready = false;
    // Fall back to polling when the stream does not come up (a proxy that
    // buffers, or an old browser).
    var fallback = setTimeout(function () {
      if (!ready && g === gen) { es.close(); source = null; poll(msisdn, g); }
    }, 5000);
    es.addEventListener('message', function (e) {
      if (g !== gen) { return; }
      apply([JSON.parse(e.data)], ready);
    });
    es.addEventListener('ready', function () {
      if (g !== gen) { return; }
      ready = true;
      clearTimeout(fallback);
      setLive('live');
    });
    es.onerror = function () {
      if (g !== gen) { return; }
      if (es.readyState === EventSource.CLOSED) {
        clearTimeout(fallback);
        source = null;
        poll(msisdn, g);
      } else {
        setLive('reconnecting');
      }
    };
  }

  function poll(msisdn, g) {
    setLive('polling');
    var ctl = window.AbortController ? new AbortController() : null;
    pollAbort = ctl;
    var url = api + '/messages?msisdn=' + encodeURIComponent(msisdn) + '&after=' + cursor + '&wait=25s';
    fetch(url, { signal: ctl ? ctl.signal : undefined, headers: { 'Accept': 'application/json' } })
      .then(function (res) {
        if (!res.ok) { throw new Error('HTTP ' + res.status); }
        return res.json();
      })
      .then(function (page) {
        if (g !== gen) { return; }
        apply(page.messages || [], true);
        if (page.cursor > cursor) { cursor = page.cursor; }
        poll(msisdn, g);
      })
      .catch(function () {
        if (g !== gen) { return; }
        setLive('offline');
        setTimeout(function () { if (g === gen) { poll(msisdn, g); } }, 2000);
      });
  }

  function send(ev) {
    ev.preventDefault();
    showError('');
    var msisdn = msisdnEl.value.trim();
    var body = { msisdn: msisdn, to: toEl.value, text: textEl.value.trim() };
    if (!body.msisdn) { showError('Enter your number first.'); msisdnEl.focus(); return; }
    if (!body.text) { showError('Type a message.'); textEl.focus(); return; }
    if (msisdn !== current) { follow(msisdn); }
    sendEl.disabled = true;
    fetch(api + '/send', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body)
    })
      .then(function (res) {
        return res.json().catch(function () { return { error: 'HTTP ' + res.status }; }).then(function (data) {
          // Shown at once, but the cursor is left to the stream: replies
          // may have changes older than this message's.
          if (data.message && data.message.id && data.message.msisdn !== undefined && msisdn === current) {
            render(data.message);
            thread.scrollTop = thread.scrollHeight;
          }
          if (!res.ok) { showError(data.error || ('HTTP ' + res.status)); return; }
          textEl.value = '';
          textEl.focus();
        });
      })
      .catch(function (err) { showError('The simulator did not answer: ' + err.message); })
      .then(function () { sendEl.disabled = false; });
  }

  form.addEventListener('submit', send);
  textEl.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { send(e); }
  });
  msisdnEl.addEventListener('change', function () { follow(msisdnEl.value.trim()); });
  document.querySelectorAll('button.use-number').forEach(function (b) {
    b.addEventListener('click', function () {
      msisdnEl.value = b.getAttribute('data-msisdn');
      follow(msisdnEl.value);
      textEl.focus();
    });
  });
  document.querySelectorAll('button.example').forEach(function (b) {
    b.addEventListener('click', function () {
      toEl.value = b.getAttribute('data-to');
      textEl.value = b.getAttribute('data-text');
      textEl.focus();
    });
  });

  // USSD: the dial pad opens a session through the simulator API
  // (/ussd/dial, /ussd/answer, /ussd/cancel) and shows each screen in a
  // dialog until the gateway or the network ends it. Screens are not SMS:
  // they never enter the thread.
  var dialer = document.getElementById('dialer');
  if (dialer) { setupUSSD(); }

  function setupUSSD() {
    var dialEl = document.getElementById('dial');
    var callEl = document.getElementById('call');
    var hangupEl = document.getElementById('hangup');
    var dlg = document.getElementById('ussd');
    var screenEl = document.getElementById('ussd-text');
    var ussdError = document.getElementById('ussd-error');
    var ussdForm = document.getElementById('ussd-form');
    var inputEl = document.getElementById('ussd-input');
    var ussdSend = document.getElementById('ussd-send');
    var ussdCancel = document.getElementById('ussd-cancel');
    var ussdClose = document.getElementById('ussd-close');
    var who = '';      // the number of the open session
    var seq = 0;       // bumped per request; stale answers are ignored

    // Why the network ended a session (the gateway's texts come as they are).
    var reasons = {
      cancelled: 'Session cancelled.',
      dropped: 'Session dropped.',
      timeout: 'Session timed out.',
      no_answer: 'The service did not answer.',
      replaced: 'Session replaced by a new call.',
      failed: 'The service did not take the request.'
    };

    dialer.hidden = false;

    function state(s) {
      dlg.setAttribute('data-state', s);
      var end = s === 'end';
      inputEl.hidden = end;
      ussdForm.querySelector('label').hidden = end;
      ussdSend.hidden = end;
      ussdCancel.hidden = end;
      ussdClose.hidden = !end;
      inputEl.disabled = s === 'waiting';
      ussdSend.disabled = s === 'waiting';
    }

    function ussdFail(msg) {
      ussdError.textContent = msg || '';
      ussdError.hidden = !msg;
    }

    function open() {
      if (!dlg.open) {
        if (dlg.showModal) { dlg.showModal(); } else { dlg.setAttribute('open', ''); }
      }
    }

    function close() {
      seq++;
      state('closed');
      ussdFail('');
      if (dlg.open) {
        if (dlg.close) { dlg.close(); } else { dlg.removeAttribute('open'); }
      }
      dialEl.focus();
    }

    function show(sc) {
      screenEl.textContent = sc.text || reasons[sc.reason] || (sc.end ? 'Session ended.' : '');
      screenEl.setAttribute('data-session', String(sc.session));
      state(sc.end ? 'end' : 'open');
      if (sc.end) { ussdClose.focus(); } else { inputEl.value = ''; inputEl.focus(); }
    }

    // request posts one USSD action and shows what comes back.
    function request(path, body) {
      var my = ++seq;
      state('waiting');
      ussdFail('');
      return fetch(api + '/ussd/' + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify(body)
      })
        .then(function (res) {
          return res.json().catch(function () { return { error: 'HTTP ' + res.status }; }).then(function (data) {
            if (my !== seq) { return; }
            if (data.screen) { show(data.screen); }
            if (!res.ok) {
              ussdFail(data.error || ('HTTP ' + res.status));
              // A refused input (400) leaves the screen open; anything
              // else means there is no session to answer any more.
              if (res.status === 400 && path === 'answer') {
                state('open');
                inputEl.focus();
              } else if (!data.screen) {
                if (path === 'dial') { screenEl.textContent = 'Call failed.'; }
                state('end');
                ussdClose.focus();
              }
            }
          });
        })
        .catch(function (err) {
          if (my !== seq) { return; }
          ussdFail('The simulator did not answer: ' + err.message);
          state('end');
        });
    }

    function call() {
      showError('');
      var msisdn = msisdnEl.value.trim();
      if (!msisdn) { showError('Enter your number first.'); msisdnEl.focus(); return; }
      if (msisdn !== current) { follow(msisdn); }
      var code = dialEl.value.trim() || dialEl.getAttribute('placeholder');
      who = msisdn;
      screenEl.textContent = 'Calling ' + code + '…';
      open();
      request('dial', { msisdn: msisdn, dial: code });
    }

    function hangup() {
      var st = dlg.getAttribute('data-state');
      if (st === 'open' || st === 'waiting') {
        fetch(api + '/ussd/cancel', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
          body: JSON.stringify({ msisdn: who })
        }).catch(function () {});
      }
      close();
    }

    dialer.querySelectorAll('button.key').forEach(function (b) {
      b.addEventListener('click', function () {
        dialEl.value += b.getAttribute('data-key');
        dialEl.focus();
      });
    });
    callEl.addEventListener('click', call);
    dialEl.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); call(); }
    });
    hangupEl.addEventListener('click', function () {
      if (dlg.open) { hangup(); } else { dialEl.value = ''; dialEl.focus(); }
    });
    ussdForm.addEventListener('submit', function (e) {
      e.preventDefault();
      if (dlg.getAttribute('data-state') !== 'open') { return; }
      var v = inputEl.value.trim();
      if (!v) { ussdFail('Type your answer first.'); inputEl.focus(); return; }
      request('answer', { msisdn: who, text: v });
    });
    ussdCancel.addEventListener('click', hangup);
    ussdClose.addEventListener('click', close);
    // Escape hangs up, as a phone's end key does.
    dlg.addEventListener('cancel', function (e) { e.preventDefault(); hangup(); });
    state('closed');
  }

  // The thread opens at its newest message, as a phone's does.
  thread.scrollTop = thread.scrollHeight;
  follow(current);
})();
