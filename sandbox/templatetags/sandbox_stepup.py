"""``{% assurance_panel conversation %}``: the console's assurance panel (sandbox/stepup.py)."""

from django import template

from sandbox.stepup import method_label, minutes_ago

register = template.Library()


@register.inclusion_tag("sandbox/_assurance.html")
def assurance_panel(conversation):
    return {
        "c": conversation,
        "method": method_label(conversation),
        "minutes": minutes_ago(conversation.auth_time),
    }
