"""The back-office menu, drawn from the one table in jxjy.office.menu: a staff member sees exactly the areas its
role may open."""

from django import template

from jxjy.office.menu import visible

register = template.Library()


@register.inclusion_tag("office/_nav.html", takes_context=True)
def office_nav(context):
    """The menu links of the signed-in staff member; the page's `office_menu` area is marked as the current one."""
    return {"areas": visible(context["user"]), "current": context.get("office_menu")}
