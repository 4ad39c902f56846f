#!/usr/bin/env node
// Runs the workflow's "Prepare Activity Log Entry" Code node outside n8n, the way n8n runs it
// ("Run Once for All Items"), and prints the JSON bodies the HTTP node would send.
// Usage: node preview-payload.js [workflow.json] [items.json] [executionId] [workflowId]
// items.json is an array of input items' json (default: one sample SMS).
const fs = require('fs');
const path = require('path');
const [wfPath = path.join(__dirname, 'activitycrm-log-activity.workflow.json'), itemsPath, executionId = '28973', workflowId = 'kJMMZ10anu4NqYUL'] = process.argv.slice(2);
const workflow = JSON.parse(fs.readFileSync(wfPath, 'utf8'));
const node = workflow.nodes.find(n => n.name === 'Prepare Activity Log Entry');
if (!node) { console.error('No "Prepare Activity Log Entry" node in ' + wfPath); process.exit(2); }
const items = itemsPath ? JSON.parse(fs.readFileSync(itemsPath, 'utf8')) : [{
  eventType: 'MESSAGE_SENT', eventCategory: 'SMS', leadAirtableId: 'recABC123',
  message_text: 'Hey John, saw your form submission. If you want help mapping your ChatGPT use cases, reply YES.',
  metadata: { campaign_id: 'chatgpt_use_cases', phone: '4085551234' },
}];
const run = new Function('$input', '$execution', '$workflow', node.parameters.jsCode);
const out = run({ all: () => items.map(json => ({ json })) }, { id: executionId }, { id: workflowId });
process.stdout.write(JSON.stringify(out.map(o => o.json), null, 2) + '\n');
