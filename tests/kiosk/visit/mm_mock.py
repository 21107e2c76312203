'''ModemManager for tests/kiosk/visit/test_emergency_mm.c (issue 16).

A python3-dbusmock template standing in for ModemManager (a GSM modem
cannot run here): one modem, /org/freedesktop/ModemManager1/Modem/0, with
the Messaging interface (Create, List, Delete, the Messages property, the
Added signal) and SMS objects with Send.  Not a test itself.

The test steers it through org.outpost.Test on the main object:
  property Outcome   "ok" (Send succeeds) or "fail" (Send is refused)
  property Sent      "NUMBER<tab>TEXT" for each SMS sent
  method Receive(number, text)   an SMS arrives (state received)
  method Report(ref, state)      a status report arrives for the sent SMS
                                 of message reference ref (DeliveryState
                                 state: 0 received, 0x40+ failed)
'''

import dbus

from dbusmock import mockobject

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MODEM = MAIN_OBJ + '/Modem/0'
MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem'
MSG_IFACE = 'org.freedesktop.ModemManager1.Modem.Messaging'
SMS_IFACE = 'org.freedesktop.ModemManager1.Sms'
TEST_IFACE = 'org.outpost.Test'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'

STATE_RECEIVED = 3
STATE_SENT = 5
PDU_DELIVER = 1
PDU_SUBMIT = 2
PDU_STATUS_REPORT = 3

counter = [0]


def _sms_props(number, text, state, pdu):
    return {
        'State': dbus.UInt32(state),
        'PduType': dbus.UInt32(pdu),
        'Number': dbus.String(number),
        'Text': dbus.String(text),
        'Data': dbus.Array([], signature='y'),
        'SMSC': dbus.String(''),
        'Validity': dbus.Struct((dbus.UInt32(0), dbus.UInt32(0, variant_level=1)),
                                signature='uv'),
        'Class': dbus.Int32(-1),
        'TeleserviceId': dbus.UInt32(0),
        'ServiceCategory': dbus.UInt32(0),
        'DeliveryReportRequest': dbus.Boolean(pdu == PDU_SUBMIT),
        'MessageReference': dbus.UInt32(0),
        'Timestamp': dbus.String(''),
        'DischargeTimestamp': dbus.String(''),
        'DeliveryState': dbus.UInt32(0),
        'Storage': dbus.UInt32(0),
    }


def _add_sms(number, text, state, pdu):
    counter[0] += 1
    path = f'{MAIN_OBJ}/SMS/{counter[0]}'
    main = mockobject.objects[MAIN_OBJ]
    main.AddObject(path, SMS_IFACE, _sms_props(number, text, state, pdu),
                   [('Send', '', '', 'mm_sms_send(self)'),
                    ('Store', 'u', '', '')])
    return path


def _messages_changed():
    modem = mockobject.objects[MODEM]
    modem.EmitSignal(PROPS_IFACE, 'PropertiesChanged', 'sa{sv}as',
                     [MSG_IFACE,
                      {'Messages': modem.props[MSG_IFACE]['Messages']}, []])


def mm_create(props):
    '''Messaging.Create: an SMS to send, not yet in Messages.'''
    if 'number' not in props or 'text' not in props:
        raise dbus.exceptions.DBusException(
            'number and text are needed',
            name='org.freedesktop.ModemManager1.Error.Core.InvalidArgs')
    return dbus.ObjectPath(_add_sms(str(props['number']), str(props['text']),
                                    1, PDU_SUBMIT))


def mm_sms_send(sms):
    main = mockobject.objects[MAIN_OBJ]
    if str(main.props[TEST_IFACE]['Outcome']) != 'ok':
        raise dbus.exceptions.DBusException(
            'CMS error 500',
            name='org.freedesktop.ModemManager1.Error.MessageError.Unknown')
    p = sms.props[SMS_IFACE]
    main.props[TEST_IFACE]['Sent'].append(
        dbus.String(f"{p['Number']}\t{p['Text']}"))
    ref = len(main.props[TEST_IFACE]['Sent'])
    p['State'] = dbus.UInt32(STATE_SENT)
    p['MessageReference'] = dbus.UInt32(ref)
    sms.EmitSignal(PROPS_IFACE, 'PropertiesChanged', 'sa{sv}as',
                   [SMS_IFACE, {'State': p['State'],
                                'MessageReference': p['MessageReference']},
                    []])


def mm_delete(path):
    modem = mockobject.objects[MODEM]
    msgs = modem.props[MSG_IFACE]['Messages']
    if path in msgs:
        msgs.remove(path)
        _messages_changed()
    if path in mockobject.objects:
        mockobject.objects[MAIN_OBJ].RemoveObject(path)


def mm_receive(number, text):
    path = _add_sms(number, text, STATE_RECEIVED, PDU_DELIVER)
    modem = mockobject.objects[MODEM]
    modem.props[MSG_IFACE]['Messages'].append(dbus.ObjectPath(path))
    _messages_changed()
    modem.EmitSignal(MSG_IFACE, 'Added', 'ob',
                     [dbus.ObjectPath(path), True])


def mm_report(ref, state):
    path = _add_sms('', '', STATE_RECEIVED, PDU_STATUS_REPORT)
    p = mockobject.objects[path].props[SMS_IFACE]
    p['MessageReference'] = dbus.UInt32(ref)
    p['DeliveryState'] = dbus.UInt32(state)
    modem = mockobject.objects[MODEM]
    modem.props[MSG_IFACE]['Messages'].append(dbus.ObjectPath(path))
    _messages_changed()
    modem.EmitSignal(MSG_IFACE, 'Added', 'ob',
                     [dbus.ObjectPath(path), True])


def load(mock, parameters):
    # the method snippets run in mockobject's namespace
    mockobject.mm_create = mm_create
    mockobject.mm_sms_send = mm_sms_send
    mockobject.mm_delete = mm_delete
    mockobject.mm_receive = mm_receive
    mockobject.mm_report = mm_report
    mock.AddProperties(TEST_IFACE, {
        'Outcome': dbus.String(parameters.get('outcome', 'ok')),
        'Sent': dbus.Array([], signature='s'),
    })
    mock.AddMethods(TEST_IFACE, [
        ('Receive', 'ss', '', 'mm_receive(args[0], args[1])'),
        ('Report', 'uu', '', 'mm_report(args[0], args[1])'),
    ])
    mock.AddObject(MODEM, MODEM_IFACE, {
        'State': dbus.Int32(8),  # registered
        'Manufacturer': dbus.String('Outpost test'),
        'Model': dbus.String('dbusmock'),
    }, [])
    modem = mockobject.objects[MODEM]
    modem.AddProperties(MSG_IFACE, {
        'Messages': dbus.Array([], signature='o'),
        'SupportedStorages': dbus.Array([dbus.UInt32(3)], signature='u'),
        'DefaultStorage': dbus.UInt32(3),
    })
    modem.AddMethods(MSG_IFACE, [
        ('List', '', 'ao', 'ret = objects["%s"].props["%s"]["Messages"]'
         % (MODEM, MSG_IFACE)),
        ('Delete', 'o', '', 'mm_delete(args[0])'),
        ('Create', 'a{sv}', 'o', 'ret = mm_create(args[0])'),
    ])
