'use strict';
// A scriptable SMSC built on npm smpp (smpp.createServer), used as an
// independent peer for the ESME client under test.
//
// Usage: node smsc.js '<json config>'
//   {"port": 0, "system_id": "esme", "password": "secret", "timeout": 30}
// port 0 picks a free port; the chosen one is printed in the "listening" event.
//
// Behaviour:
//   - bind_transceiver with the configured system_id/password is accepted
//     (bind_transceiver_resp with system_id NODESMSC and sc_interface_version
//     0x34); a wrong system_id gets ESME_RINVSYSID, a wrong password
//     ESME_RINVPASWD (header-only responses, as npm smpp sends them).
//   - submit_sm is answered with message ids "node-1", "node-2", ...; if
//     registered_delivery asks for a receipt, a delivery receipt deliver_sm
//     (esm_class 0x04, receipted_message_id and message_state TLVs) follows.
//   - enquire_link and unbind are answered; after unbind_resp the connection
//     is closed.
// Commands, one JSON object per line on stdin, act on the most recently bound
// session that is still bound:
//   {"cmd":"mo","ref":"r","source_addr":"..","source_addr_ton":1,"source_addr_npi":1,
//    "destination_addr":"..","dest_addr_ton":0,"dest_addr_npi":0,"text":"..",
//    "coding":"gsm7"|"ucs2","udh_ref":7,"reverse":false,"payload":false,
//    "service_type":"","ussd_service_op":1,"its_session_info":"<hex>"}
//       sends the text as deliver_sm, split into concatenated parts with a UDH
//       when it does not fit one SMS (parts sent in reverse order if asked),
//       or whole in message_payload with an empty short_message if payload;
//       ussd_service_op and its_session_info are added as TLVs when given,
//       and "raw_tlvs":[{"tag":5120,"hex":"07"}] as they are;
//   {"cmd":"data_sm","ref":"r", addresses as above, "text":"..","coding":".."}
//       sends the text as data_sm in message_payload;
//   {"cmd":"fail_next","status":88,"count":1}
//       answers the next count submit_sm with that command_status (header
//       only, as npm smpp writes error responses); prints {"event":"ok"};
//   {"cmd":"enquire_link"}   {"cmd":"unbind"}   {"cmd":"exit"}
// The process exits on "exit", at EOF on stdin, or with status 2 after timeout
// seconds.
//
// Events (stdout, one JSON object per line): ready, listening, connect, bind,
// submit_sm (with status and message_id), dlr_sent, deliver_sm_sent,
// deliver_sm_resp, mo_done, data_sm_resp, enquire_link, enquire_link_sent, enquire_link_resp, unbind,
// unbind_sent, unbind_resp, pdu (anything else received), closed, error,
// timeout, exit.

const c = require('./common');

const cfg = c.parseConfig();
c.watchdog(cfg.timeout || 30);
const {smpp, version} = c.loadSMPP();
c.captureRaw(smpp);
c.emit({event: 'ready', peer: 'npm smpp', version});

let nextConn = 0;
let nextMsg = 0;
let failNext = {status: 0, count: 0}; // answer the next submits with an error
const bound = []; // bound sessions, oldest first; commands use the last

function current() {
	return bound.length ? bound[bound.length - 1] : null;
}

function unbound(session) {
	const i = bound.indexOf(session);
	if (i >= 0) {
		bound.splice(i, 1);
	}
}

function statusFor(pdu) {
	if (pdu.system_id !== cfg.system_id) {
		return smpp.ESME_RINVSYSID;
	}
	if (pdu.password !== cfg.password) {
		return smpp.ESME_RINVPASWD;
	}
	return smpp.ESME_ROK;
}

function stamp(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function sendReceipt(session, conn, rec) {
	const now = stamp(new Date());
	const text = 'id:' + rec.message_id + ' sub:001 dlvrd:001 submit date:' + now + ' done date:' + now +
		' stat:DELIVRD err:000 Text:' + (rec.text || '').replace(/[^A-Za-z0-9 ]/g, '?').slice(0, 20);
	session.deliver_sm({
		source_addr_ton: rec.dest_addr_ton,
		source_addr_npi: rec.dest_addr_npi,
		source_addr: rec.destination_addr,
		dest_addr_ton: rec.source_addr_ton,
		dest_addr_npi: rec.source_addr_npi,
		destination_addr: rec.source_addr,
		esm_class: 0x04,
		data_coding: 0x00,
		short_message: text,
		receipted_message_id: rec.message_id,
		message_state: 2,
	}, (resp) => {
		c.emit({event: 'deliver_sm_resp', conn, ref: 'dlr:' + rec.message_id, seq: resp.sequence_number,
			status: resp.command_status, message_id: resp.message_id, command_length: resp.command_length});
	}, (sent) => {
		c.emit({event: 'dlr_sent', conn, message_id: rec.message_id, seq: sent.sequence_number, text});
	});
}

const server = smpp.createServer((session) => {
	const conn = ++nextConn;
	c.emit({event: 'connect', conn});
	const isBound = () => bound.includes(session);

	session.on('error', (e) => c.emit({event: 'error', conn, message: String(e && e.message || e)}));
	session.on('close', () => {
		unbound(session);
		c.emit({event: 'closed', conn});
	});

	session.on('pdu', (pdu) => {
		switch (pdu.command) {
		case 'bind_transceiver':
		case 'bind_transmitter':
		case 'bind_receiver': {
			let status = isBound() ? smpp.ESME_RALYBND : statusFor(pdu);
			if (!isBound() && status === smpp.ESME_ROK && pdu.command !== 'bind_transceiver') {
				status = smpp.ESME_RBINDFAIL;
			}
			c.emit({event: 'bind', conn, command: pdu.command, seq: pdu.sequence_number, system_id: pdu.system_id,
				password_ok: pdu.password === cfg.password, system_type: pdu.system_type,
				interface_version: pdu.interface_version, addr_ton: pdu.addr_ton, addr_npi: pdu.addr_npi,
				address_range: pdu.address_range, status});
			if (status === smpp.ESME_ROK) {
				session.send(pdu.response({system_id: 'NODESMSC', sc_interface_version: 0x34}));
				bound.push(session);
			} else {
				session.send(pdu.response({command_status: status}));
			}
			return;
		}
		case 'submit_sm': {
			const rec = c.messageRecord(smpp, 'submit_sm', pdu);
			rec.conn = conn;
			if (!isBound()) {
				rec.status = smpp.ESME_RINVBNDSTS;
				c.emit(rec);
				session.send(pdu.response({command_status: smpp.ESME_RINVBNDSTS}));
				return;
			}
			if (failNext.count > 0) {
				failNext.count--;
				rec.status = failNext.status;
				c.emit(rec);
				session.send(pdu.response({command_status: failNext.status}));
				return;
			}
			rec.status = smpp.ESME_ROK;
			rec.message_id = 'node-' + (++nextMsg);
			c.emit(rec);
			session.send(pdu.response({message_id: rec.message_id}), () => {
				if (rec.registered_delivery & 0x03) {
					sendReceipt(session, conn, rec);
				}
			});
			return;
		}
		case 'enquire_link':
			c.emit({event: 'enquire_link', conn, seq: pdu.sequence_number});
			session.send(pdu.response());
			return;
		case 'unbind':
			c.emit({event: 'unbind', conn, seq: pdu.sequence_number});
			unbound(session);
			session.send(pdu.response(), () => session.close());
			return;
		default:
			if (pdu.isResponse() && session._callbacks[pdu.sequence_number]) {
				return; // handled by the request's callback
			}
			c.emit({event: 'pdu', conn, command: pdu.command, command_id: pdu.command_id,
				status: pdu.command_status, seq: pdu.sequence_number, hex: c.hex(pdu._raw)});
			if (!pdu.isResponse()) {
				session.send(pdu.response({command_status: isBound() ? smpp.ESME_RINVCMDID : smpp.ESME_RINVBNDSTS}));
			}
		}
	});
});

function sendMO(cmd) {
	const session = current();
	if (!session) {
		c.emit({event: 'error', ref: cmd.ref, message: 'mo: no bound session'});
		return;
	}
	const coding = cmd.coding || 'gsm7';
	const parts = cmd.payload ? [{udh: null, message: cmd.text}] : c.split(smpp, cmd.text, coding, cmd.udh_ref || 1);
	const order = parts.map((_, i) => i);
	if (cmd.reverse) {
		order.reverse();
	}
	const statuses = new Array(parts.length);
	let pending = parts.length;
	for (const i of order) {
		const part = parts[i];
		const opts = {
			service_type: cmd.service_type || '',
			source_addr_ton: cmd.source_addr_ton || 0,
			source_addr_npi: cmd.source_addr_npi || 0,
			source_addr: cmd.source_addr || '',
			dest_addr_ton: cmd.dest_addr_ton || 0,
			dest_addr_npi: cmd.dest_addr_npi || 0,
			destination_addr: cmd.destination_addr || '',
			esm_class: 0x00,
			data_coding: c.codingByte(coding),
		};
		if (cmd.payload) {
			opts.short_message = Buffer.alloc(0);
			opts.message_payload = c.encode(smpp, part.message, coding);
		} else {
			opts.short_message = part.udh ? {udh: part.udh, message: part.message} : {message: part.message};
		}
		if (cmd.ussd_service_op !== undefined) {
			opts.ussd_service_op = cmd.ussd_service_op;
		}
		if (cmd.its_session_info !== undefined) {
			opts.its_session_info = Buffer.from(cmd.its_session_info, 'hex');
		}
		Object.assign(opts, c.rawTLVs(smpp, cmd.raw_tlvs));
		session.deliver_sm(opts, (resp) => {
			statuses[i] = resp.command_status;
			c.emit({event: 'deliver_sm_resp', ref: cmd.ref, part: i + 1, seq: resp.sequence_number,
				status: resp.command_status, message_id: resp.message_id, command_length: resp.command_length});
			if (--pending === 0) {
				c.emit({event: 'mo_done', ref: cmd.ref, parts: parts.length, statuses});
			}
		}, (sent) => {
			c.emit({event: 'deliver_sm_sent', ref: cmd.ref, part: i + 1, seq: sent.sequence_number, hex: c.hex(sent.toBuffer())});
		});
	}
}

// sendDataSM sends the text as data_sm with message_payload (SMPP 3.4 §4.7).
function sendDataSM(cmd) {
	const session = current();
	if (!session) {
		c.emit({event: 'error', ref: cmd.ref, message: 'data_sm: no bound session'});
		return;
	}
	const coding = cmd.coding || 'gsm7';
	session.data_sm({
		service_type: cmd.service_type || '',
		source_addr_ton: cmd.source_addr_ton || 0,
		source_addr_npi: cmd.source_addr_npi || 0,
		source_addr: cmd.source_addr || '',
		dest_addr_ton: cmd.dest_addr_ton || 0,
		dest_addr_npi: cmd.dest_addr_npi || 0,
		destination_addr: cmd.destination_addr || '',
		esm_class: 0x00,
		registered_delivery: 0,
		data_coding: c.codingByte(coding),
		message_payload: c.encode(smpp, cmd.text, coding),
	}, (resp) => {
		const {fields, tlvs} = c.rawFields(smpp, resp._raw);
		c.emit({event: 'data_sm_resp', ref: cmd.ref, seq: resp.sequence_number, status: resp.command_status,
			message_id: fields.message_id === undefined ? null : fields.message_id, tlvs,
			command_length: resp.command_length});
	});
}

function finish(code) {
	c.emit({event: 'exit'});
	process.exit(code);
}

c.lines((line) => {
	let cmd;
	try {
		cmd = JSON.parse(line);
	} catch (e) {
		c.emit({event: 'error', message: 'bad command: ' + e.message});
		return;
	}
	switch (cmd.cmd) {
	case 'mo':
		sendMO(cmd);
		break;
	case 'data_sm':
		sendDataSM(cmd);
		break;
	case 'fail_next':
		failNext = {status: cmd.status, count: cmd.count || 1};
		c.emit({event: 'ok', cmd: cmd.cmd});
		break;
	case 'enquire_link': {
		const session = current();
		if (!session) {
			c.emit({event: 'error', message: 'enquire_link: no bound session'});
			break;
		}
		const sent = session.enquire_link((resp) => {
			c.emit({event: 'enquire_link_resp', seq: resp.sequence_number, status: resp.command_status});
		}, (pdu) => c.emit({event: 'enquire_link_sent', seq: pdu.sequence_number}));
		if (!sent) {
			c.emit({event: 'error', message: 'enquire_link: socket not writable'});
		}
		break;
	}
	case 'unbind': {
		const session = current();
		if (!session) {
			c.emit({event: 'error', message: 'unbind: no bound session'});
			break;
		}
		session.unbind((resp) => {
			c.emit({event: 'unbind_resp', seq: resp.sequence_number, status: resp.command_status});
			session.close();
		}, (pdu) => c.emit({event: 'unbind_sent', seq: pdu.sequence_number}));
		break;
	}
	case 'exit':
		finish(0);
		break;
	default:
		c.emit({event: 'error', message: 'unknown command ' + cmd.cmd});
	}
}, () => finish(0));

server.on('error', (e) => {
	c.emit({event: 'error', message: 'listen: ' + e.message});
	process.exit(1);
});
server.listen(cfg.port || 0, '127.0.0.1', () => {
	c.emit({event: 'listening', port: server.address().port});
});
