'use strict';
// Helpers shared by the npm smpp peers (smsc.js, esme.js).
//
// Output contract: one JSON object per line on stdout, each with an "event"
// field. Diagnostics go to stderr. Every script arms a hard timeout and exits
// with status 2 (after printing {"event":"timeout"}) when it fires.

const path = require('path');

// loadSMPP finds npm smpp: $SMSGW_NODE_PATH/smpp first, then the normal
// module resolution (NODE_PATH, node_modules next to the script).
function loadSMPP() {
	const candidates = [];
	if (process.env.SMSGW_NODE_PATH) {
		candidates.push(path.join(process.env.SMSGW_NODE_PATH, 'smpp'));
	}
	candidates.push('smpp');
	for (const c of candidates) {
		try {
			const smpp = require(c);
			const version = require(c + '/package.json').version;
			return {smpp, version};
		} catch (e) {
			if (e.code !== 'MODULE_NOT_FOUND') {
				throw e;
			}
		}
	}
	emit({event: 'error', message: 'npm smpp not found (run scripts/install-peers and set SMSGW_NODE_PATH)'});
	process.exit(3);
}

function emit(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

function hex(buf) {
	return buf ? Buffer.from(buf).toString('hex') : '';
}

// parseConfig reads the single JSON argument every peer takes.
function parseConfig() {
	const arg = process.argv[2];
	if (!arg) {
		process.stderr.write('usage: node ' + path.basename(process.argv[1]) + " '<json config>'\n");
		process.exit(64);
	}
	return JSON.parse(arg);
}

// watchdog exits the process with status 2 after seconds, whatever it is doing.
function watchdog(seconds) {
	setTimeout(() => {
		emit({event: 'timeout', after_seconds: seconds});
		process.exit(2);
	}, seconds * 1000);
}

// captureRaw makes every decoded PDU carry the exact octets it was read from
// (pdu._raw), so records show the wire bytes and not npm smpp's reinterpretation.
function captureRaw(smpp) {
	const PDU = smpp.PDU;
	PDU.fromStream = function(stream, commandLength) {
		const body = stream.read(commandLength - 4);
		if (!body) {
			return false;
		}
		const head = Buffer.alloc(4);
		head.writeUInt32BE(commandLength, 0);
		const raw = Buffer.concat([head, body]);
		const pdu = new PDU(raw);
		Object.defineProperty(pdu, '_raw', {value: raw, enumerable: false});
		return pdu;
	};
}

// rawFields walks npm smpp's own command table over the raw octets without
// its text filters: mandatory fields as read, then the TLVs in wire order.
function rawFields(smpp, raw) {
	const commandLength = raw.readUInt32BE(0);
	const def = smpp.commandsById[raw.readUInt32BE(4)];
	const fields = {};
	const tlvs = [];
	if (!def) {
		return {fields, tlvs};
	}
	const params = def.params || {};
	let offset = 16;
	for (const key of Object.keys(params)) {
		if (offset >= commandLength) {
			break;
		}
		fields[key] = params[key].type.read(raw, offset);
		offset += params[key].type.size(fields[key]);
	}
	while (offset + 4 <= commandLength) {
		const tag = raw.readUInt16BE(offset);
		const length = raw.readUInt16BE(offset + 2);
		tlvs.push({tag, hex: hex(raw.slice(offset + 4, offset + 4 + length))});
		offset += 4 + length;
	}
	return {fields, tlvs};
}

// messageRecord describes a received submit_sm or deliver_sm: the mandatory
// fields, short_message as hex, the UDH (with its length octet) as hex, the
// text as npm smpp decodes it, and every TLV.
function messageRecord(smpp, event, pdu) {
	const {fields, tlvs} = rawFields(smpp, pdu._raw);
	const sm = fields.short_message || Buffer.alloc(0);
	let udh = '';
	if ((fields.esm_class & 0x40) && sm.length > 0) {
		udh = hex(sm.slice(0, sm[0] + 1));
	}
	let text = null;
	if (pdu.short_message && typeof pdu.short_message.message === 'string') {
		text = pdu.short_message.message;
	}
	const rec = {
		event,
		seq: pdu.sequence_number,
		service_type: fields.service_type,
		source_addr_ton: fields.source_addr_ton,
		source_addr_npi: fields.source_addr_npi,
		source_addr: fields.source_addr,
		dest_addr_ton: fields.dest_addr_ton,
		dest_addr_npi: fields.dest_addr_npi,
		destination_addr: fields.destination_addr,
		esm_class: fields.esm_class,
		protocol_id: fields.protocol_id,
		priority_flag: fields.priority_flag,
		schedule_delivery_time: fields.schedule_delivery_time,
		validity_period: fields.validity_period,
		registered_delivery: fields.registered_delivery,
		replace_if_present_flag: fields.replace_if_present_flag,
		data_coding: fields.data_coding,
		sm_default_msg_id: fields.sm_default_msg_id,
		sm_length: sm.length,
		short_message: hex(sm),
		udh,
		text,
		tlvs,
	};
	if (pdu.message_payload && typeof pdu.message_payload.message === 'string') {
		rec.payload_text = pdu.message_payload.message;
	}
	return rec;
}

// septets returns how many GSM 7-bit septets npm smpp's encoder spends on ch.
function septets(smpp, ch) {
	return smpp.gsmCoder.encode(ch, 0x00).length;
}

// split cuts text into parts that each fit one SMS with an 8-bit reference
// concatenation UDH (05 00 03 ref total seq): GSM 7-bit 160 septets alone or
// 153 per part, UCS-2 70 UTF-16 units alone or 67 per part. It never splits an
// escape pair or a surrogate pair. It returns [{udh: Buffer|null, message}].
function split(smpp, text, coding, ref) {
	const chars = Array.from(text); // code points: a surrogate pair stays whole
	const cost = (ch) => (coding === 'ucs2' ? ch.length : septets(smpp, ch));
	const single = coding === 'ucs2' ? 70 : 160;
	const perPart = coding === 'ucs2' ? 67 : 153;
	const total = chars.reduce((n, ch) => n + cost(ch), 0);
	if (total <= single) {
		return [{udh: null, message: text}];
	}
	const parts = [];
	let cur = '';
	let used = 0;
	for (const ch of chars) {
		if (used + cost(ch) > perPart) {
			parts.push(cur);
			cur = '';
			used = 0;
		}
		cur += ch;
		used += cost(ch);
	}
	if (cur) {
		parts.push(cur);
	}
	return parts.map((message, i) => ({
		udh: Buffer.from([0x05, 0x00, 0x03, ref & 0xff, parts.length, i + 1]),
		message,
	}));
}

// codingByte maps a coding name to data_coding.
function codingByte(coding) {
	switch (coding) {
	case 'gsm7':
		return 0x00;
	case 'ucs2':
		return 0x08;
	default:
		throw new Error('unknown coding ' + coding);
	}
}

// encode encodes text with npm smpp's own encoders: its GSM 03.38 coder for
// gsm7, UTF-16BE (iconv-lite) for ucs2.
function encode(smpp, text, coding) {
	return coding === 'ucs2' ? smpp.encodings.UCS2.encode(text) : smpp.encodings.ASCII.encode(text);
}

// rawTLVs turns [{tag, hex}] into PDU options npm smpp encodes as raw TLVs,
// registering a name for each tag (npm smpp only encodes TLVs by name).
function rawTLVs(smpp, list) {
	const opts = {};
	for (const t of list || []) {
		const name = 'raw_tlv_' + t.tag;
		smpp.addTLV(name, {id: t.tag, type: smpp.types.tlv.buffer});
		opts[name] = Buffer.from(t.hex, 'hex');
	}
	return opts;
}

// lines calls onLine for each line read from stdin and onEnd at EOF.
function lines(onLine, onEnd) {
	let buf = '';
	process.stdin.setEncoding('utf8');
	process.stdin.on('data', (chunk) => {
		buf += chunk;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const line = buf.slice(0, i).trim();
			buf = buf.slice(i + 1);
			if (line) {
				onLine(line);
			}
		}
	});
	process.stdin.on('end', onEnd);
}

module.exports = {loadSMPP, emit, hex, parseConfig, watchdog, captureRaw, rawFields, messageRecord, split, codingByte, encode, rawTLVs, lines};
