from alarmlink import AlarmPanel


async def panel_state(session, host: str) -> str:
    panel = await AlarmPanel.connect(host, session=session)
    try:
        state = await panel.arm_state()
    finally:
        await panel.close()
    return state
