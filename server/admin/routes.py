"""Admin CRUD for units, members, windows and posts (API.md), generated from one table.

Each resource gets the same five views — list, create, read, patch — with the unit wall
applied by the services; members add their bind codes.
"""
from flask.views import MethodView

from server.admin import schemas, services
from server.api import Blueprint
from server.auth.services import new_bind_code
from server.auth.walls import get_walled
from server.extensions import db
from server.models import Member, Post, Unit, Window
from server.schemas import page_schema, paginate

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="管理 Administration")


def _register(path, model, schema, patch_schema, *, create_roles=("admin",), created_schema=None, after_create=None):
    """Add /admin/{path} (GET list, POST create) and /admin/{path}/{id} (GET, PATCH) for ``model``."""
    created_schema = created_schema or schema
    snapshot = services.audit_snapshot(schema)
    label = model.__tablename__

    class Collection(MethodView):
        @bp.login_required("admin")
        @bp.arguments(schemas.ListArgsSchema, location="query")
        @bp.response(200, page_schema(schema))
        def get(self, args):
            return paginate(services.list_objects(model, args), args)

        @bp.login_required(*create_roles)
        @bp.errors(409, 422)
        @bp.arguments(schema)
        @bp.response(201, created_schema)
        def post(self, data):
            obj = services.create_object(model, data, snapshot)
            result = after_create(obj) if after_create else obj
            db.session.commit()
            return result

    class Item(MethodView):
        @bp.login_required("admin")
        @bp.errors(404)
        @bp.response(200, schema)
        def get(self, object_id):
            return get_walled(model, object_id)

        @bp.login_required("admin")
        @bp.errors(404, 409, 422)
        @bp.arguments(patch_schema)
        @bp.response(200, schema)
        def patch(self, data, object_id):
            obj = services.update_object(model, object_id, data, snapshot)
            db.session.commit()
            return obj

    Collection.get.__doc__ = f"List {label}s the caller may see."
    Collection.post.__doc__ = f"Create a {label}."
    Item.get.__doc__ = f"Read one {label}."
    Item.patch.__doc__ = f"Change some fields of a {label}."
    Collection.__name__ = f"{label.title()}Collection"
    Item.__name__ = f"{label.title()}Item"
    bp.route(f"/{path}")(Collection)
    bp.route(f"/{path}/<int:object_id>")(Item)


def _with_bind_code(member):
    """A new member's answer carries its first one-time bind code."""
    code = new_bind_code(member)
    member.bind_code, member.bind_code_expires_at = code.code, code.expires_at
    return member


_register("units", Unit, schemas.UnitSchema, schemas.UnitPatchSchema, create_roles=("bureau_admin",))
_register("members", Member, schemas.MemberSchema, schemas.MemberPatchSchema,
          created_schema=schemas.MemberCreatedSchema, after_create=_with_bind_code)
_register("windows", Window, schemas.WindowSchema, schemas.WindowPatchSchema)
_register("posts", Post, schemas.PostSchema, schemas.PostPatchSchema)


@bp.route("/members/<int:member_id>/bind-code", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404)
@bp.response(201, schemas.BindCodeSchema)
def member_bind_code(member_id):
    """Issue a new one-time bind code for a member (earlier unused codes stop working)."""
    code = new_bind_code(get_walled(Member, member_id))
    db.session.commit()
    return {"bind_code": code.code, "bind_code_expires_at": code.expires_at}
