# Copyright: contributors to hwcloud.ims
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMS errors: the documented error codes and the JSON error answers every IMS path gives.

Two body shapes exist on the wire. Most paths answer ``{"error": {"code": "IMG.xxxx", "message": "..."}}``; the
project-scoped tag APIs (``/v2/{project_id}/images/...``) answer the flat ``{"error_code": ..., "error_msg": ...}``
that the API gateway also uses. IAM and the control API answer in their own shapes, also where the framework
refuses (an unknown path or method, an invalid request) or something unexpected happens. A client never sees
FastAPI's ``{"detail": ...}``, a 5xx or a traceback.
"""

import logging
import re

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

LOG = logging.getLogger(__name__)

#: code -> (HTTP status, message): the error code table of the IMS API reference, restated as data.
ERROR_TABLE = {
    "IMG.0001": (400, "The request message format is invalid."),
    "IMG.0002": (400, "The image name contains more than 128 characters."),
    "IMG.0003": (400, "The image name format is invalid."),
    "IMG.0004": (400, "The description contains more than 1024 characters."),
    "IMG.0005": (400, "The ECS does not exist."),
    "IMG.0006": (400, "The ECS system disk cannot be used to create an image."),
    "IMG.0007": (400, "The request body is empty."),
    "IMG.0008": (400, "The ECS cannot be used to create images because it is not in stopped state."),
    "IMG.0009": (400, "The image name already exists."),
    "IMG.0010": (400, "The ECS cannot be used to create an image because it has in-progress tasks."),
    "IMG.0011": (400, "forceCreate must be set to true."),
    "IMG.0012": (400, "The ECS ID is not specified."),
    "IMG.0013": (400, "The image name is not specified."),
    "IMG.0014": (400, "An exception occurred when IaaS OpenStack was executing the task."),
    "IMG.0015": (400, "The number of private images has reached the maximum allowed."),
    "IMG.0016": (400, "An error occurred when the request body was deleted."),
    "IMG.0017": (400, "The URL format is incorrect."),
    "IMG.0018": (400, "An error occurred when the job was submitted."),
    "IMG.0019": (400, "The backup ID is not specified."),
    "IMG.0020": (400, "The backup does not exist."),
    "IMG.0021": (400, "The resource type is unknown."),
    "IMG.0022": (400, "The disk in the current state cannot be used to create images."),
    "IMG.0023": (400, "An exception occurred during task query."),
    "IMG.0024": (400, "The image type in the request is incorrect."),
    "IMG.0025": (400, "The user type in the request is incorrect."),
    "IMG.0026": (403, "The role is invalid. You need to apply for the required permissions or pass the real-name authentication."),
    "IMG.0027": (400, "The image ID in the request does not exist."),
    "IMG.0028": (400, "The image in the request is protected."),
    "IMG.0029": (400, "The backup in the request has already been used to create an image."),
    "IMG.0030": (400, "The project ID and token in the request are invalid."),
    "IMG.0031": (400, "The resource ID in the request is incorrect."),
    "IMG.0032": (400, "The backup is unavailable."),
    "IMG.0033": (400, "The backup is not a system disk backup."),
    "IMG.0034": (400, "The number of images cannot be modified."),
    "IMG.0035": (400, "An attribute conflict occurred during the modification."),
    "IMG.0036": (400, "An error occurred when the value of asumeToken was obtained."),
    "IMG.0037": (400, "An error occurred in the AK/SK was obtained."),
    "IMG.0038": (400, "An error occurred when the bucket was created."),
    "IMG.0039": (400, "An error occurred when read and write permissions of the bucket were granted to a specified user."),
    "IMG.0040": (400, "An error occurred in the object storage address was obtained."),
    "IMG.0041": (400, "The authorized account is empty."),
    "IMG.0045": (400, "Failed to generate the image product code."),
    "IMG.0046": (400, "The image is unavailable."),
    "IMG.0047": (400, "This operation can be performed only by the image owner."),
    "IMG.0053": (400, "An error occurred when the domain information of the shadow account was obtained."),
    "IMG.0054": (400, "The image description format is invalid."),
    "IMG.0055": (400, "The memory or disk size is invalid."),
    "IMG.0056": (400, "Invalid OS version."),
    "IMG.0057": (400, "The image file is empty, not found, or in incorrect format, or you do not have enough permission to access the file."),
    "IMG.0058": (400, "The region of the bucket where the image file is stored is inconsistent with that of the user."),
    "IMG.0059": (400, "The size of the image file exceeds the maximum allowed."),
    "IMG.0060": (400, "The number of tasks exceeds the flow control limit."),
    "IMG.0061": (400, "Unknown system error."),
    "IMG.0062": (400, "The image name is incorrect."),
    "IMG.0063": (400, "The VM type does not support image creation."),
    "IMG.0064": (400, "Failed to obtain tenant information from IAM."),
    "IMG.0065": (400, "Failed to obtain the tenant domain from IAM."),
    "IMG.0066": (400, "The image ID is incorrect."),
    "IMG.0067": (400, "The project ID is incorrect."),
    "IMG.0068": (400, "The specified bucket name is empty."),
    "IMG.0069": (400, "The specified bucket cannot be accessed."),
    "IMG.0070": (400, "The image file already exists. Confirm the file in the corresponding directory of the OBS bucket or in the OBS bucket."),
    "IMG.0071": (400, "The image cannot be exported."),
    "IMG.0072": (400, "The specified image format is not supported."),
    "IMG.0073": (400, "The name of the exported file is empty."),
    "IMG.0074": (400, "The file name length exceeds the limit."),
    "IMG.0075": (400, "The file name contains invalid characters."),
    "IMG.0076": (400, "You cannot share an image with yourself."),
    "IMG.0077": (400, "The public image cannot be exported."),
    "IMG.0079": (400, "The system disk image created from a charged image cannot be exported."),
    "IMG.0080": (400, "The image created from a CSBS or CBR backup cannot be exported."),
    "IMG.0081": (400, "The image cannot be exported because it is created from an image file."),
    "IMG.0083": (400, "The image is a public image."),
    "IMG.0084": (400, "The image is a private image."),
    "IMG.0085": (400, "The publishing mode is incorrect."),
    "IMG.0086": (400, "No image was found."),
    "IMG.0087": (400, "The token is incorrect."),
    "IMG.0088": (400, "The number of shared images has reached the maximum allowed."),
    "IMG.0089": (400, "The public image cannot be shared."),
    "IMG.0090": (400, "The image being created cannot be deleted."),
    "IMG.0092": (400, "The image can only be deleted by the owner."),
    "IMG.0094": (400, "The public image cannot be deleted."),
    "IMG.0095": (400, "The KMS key does not exist."),
    "IMG.0096": (400, "The specified KMS key ID must be different from the image key ID."),
    "IMG.0097": (400, "The key is not enabled."),
    "IMG.0098": (400, "The encrypted image cannot be shared."),
    "IMG.0099": (400, "You do not have the permission to access the key."),
    "IMG.0100": (400, "You do not have OBT permission for KMS."),
    "IMG.0101": (400, "The original key does not exist."),
    "IMG.0102": (400, "The original key is not enabled."),
    "IMG.0103": (400, "You do not have the permission to access the original key."),
    "IMG.0104": (400, "Enter the project name if there are multiple projects in the same region."),
    "IMG.0105": (400, "The operation is not supported."),
    "IMG.0106": (400, "The image owner is another tenant."),
    "IMG.0108": (400, "The tenant ID was not found in the current region."),
    "IMG.0109": (400, "The bucket name contains invalid characters."),
    "IMG.0110": (400, "The system disk is unavailable and cannot be used to create images."),
    "IMG.0111": (400, "The size of the system disk exceeds the maximum allowed."),
    "IMG.0112": (400, "Failed to add the tenant."),
    "IMG.0113": (400, "Failed to delete the tenant."),
    "IMG.0114": (400, "Failed to query the tenant details."),
    "IMG.0115": (400, "The image tag is invalid."),
    "IMG.0116": (400, "The number of image tags exceeds the quota."),
    "IMG.0117": (400, "The image source can only be BMS or ECS."),
    "IMG.0118": (400, "The BMS image does not support KMS encryption."),
    "IMG.0119": (400, "The VM does not have a system disk."),
    "IMG.0120": (400, "The specified data disk ID is unavailable."),
    "IMG.0121": (400, "The object cannot be found."),
    "IMG.0122": (400, "The OS type is invalid."),
    "IMG.0123": (400, "The image file address in the request is duplicate."),
    "IMG.0125": (400, "The data disk image cannot be converted to a public image."),
    "IMG.0126": (400, "The VM in the current stage cannot be used to create a full-ECS image."),
    "IMG.0127": (400, "The CSBS backup does not exist."),
    "IMG.0128": (400, "The full-ECS image cannot be exported."),
    "IMG.0130": (400, "The full-ECS image cannot be exported or replicated."),
    "IMG.0132": (400, "The CSBS backup in the current state cannot be used to create a full-ECS image."),
    "IMG.0133": (400, "You are not allowed to access the CSBS backup."),
    "IMG.0134": (400, "The CSBS backup has been registered as an image."),
    "IMG.0135": (400, "The full-ECS image cannot be shared."),
    "IMG.0136": (400, "Failed to create a full-ECS image because the ECS is being backed up."),
    "IMG.0137": (400, "Failed to obtain the VM information."),
    "IMG.0138": (400, "Failed to obtain the OS type information."),
    "IMG.0139": (400, "Other disks on the VM are being used to created VMs."),
    "IMG.0140": (400, "The disks in the request come from different ECSs."),
    "IMG.0141": (400, "The value of hw_firmware_type is not uefi or bios."),
    # IMG.0142, 0143, 0146, 0147, 0149 and 0151: Huawei Cloud's table (cross-region replication), which OTC's lacks.
    "IMG.0142": (400, "Replication must be performed across regions."),
    "IMG.0143": (400, "An encrypted image cannot be replicated cross regions."),
    "IMG.0144": (400, "The image does not exist."),
    "IMG.0145": (400, "The project name is incorrect."),
    "IMG.0146": (400, "The size of the image to be replicated across regions exceeds the upper limit."),
    "IMG.0147": (400, "The entered region information is incorrect."),
    "IMG.0148": (400, "The image is being exported."),
    "IMG.0149": (400, "The number of image replicated cross regions exceeds the maximum number allowed at a time."),
    "IMG.0151": (400, "The agency does not have the needed permissions to perform this operation on the target project."),
    "IMG.0153": (400, "DESS or DSS disks cannot be used to create images."),
    "IMG.0154": (400, "Failed to communicate with Enterprise Project Management Service (EPS)."),
    "IMG.0155": (400, "Failed to check the enterprise project ID validity."),
    "IMG.0156": (400, "Failed to associate the image with the enterprise project ID."),
    "IMG.0160": (400, "Only images less than 128 GB can be exported."),
    "IMG.0161": (400, "You do not have permission."),
    "IMG.0162": (400, "The value contains a maximum of 12 characters that consist of letters and spaces, and cannot start or end with a space"),
    "IMG.0163": (400, "This image cannot be titled by vendors. Only images running a Windows OS booted in BIOS mode can be titled by vendors."),
    "IMG.0164": (400, "Failed to create an image because the spot ECS is being reclaimed."),
    "IMG.0165": (400, "You do not have permission to access the CSBS backup."),
    "IMG.0166": (400, "OS information must be contained in the ISO files used to create images."),
    "IMG.0167": (400, "This operation cannot be performed for ISO images."),
    "IMG.0168": (400, "Data disk images cannot be updated."),
    "IMG.0169": (400, "Failed to update the image because the OS versions are different."),
    "IMG.0170": (400, "Failed to update the image because the image formats are different."),
    "IMG.0171": (400, "Failed to update the image because the minimum disk space is less than that of the source image."),
    "IMG.0172": (400, "Failed to update the image because the minimum memory is less than that of the source image."),
    "IMG.0173": (400, "Failed to update the image because the image environment types are different."),
    "IMG.0174": (400, "Failed to update the image because the name of the source image is different from that of the target image."),
    "IMG.0175": (400, "The folder name and image file name cannot contain spaces."),
    "IMG.0176": (400, "Failed to delete the full-ECS backup."),
    "IMG.0177": (400, "The source and target tenants reside in different regions."),
    "IMG.0178": (400, "The target tenant is the same as the source tenant."),
    "IMG.0179": (400, "The token of the source image agency is invalid."),
    "IMG.0180": (400, "CBR does not support full-ECS image creation."),
    "IMG.0181": (400, "Failed to obtain ECSs that can be protected."),
    "IMG.0182": (400, "Insufficient vault capacity. Please expand the capacity."),
    "IMG.0183": (400, "The ECS can only be associated with one vault."),
    "IMG.0184": (400, "Failed to obtain the vault."),
    "IMG.0185": (400, "The number of ECSs associated with the vault has reached the upper limit."),
    "IMG.0186": (400, "The ECS is associated with the CSBS service."),
    "IMG.0187": (400, "KMS access traffic has reached the upper limit."),
    "IMG.0188": (400, "Vault is unavailable."),
    "IMG.0189": (400, "The target CBR vault does not support image replication."),
    "IMG.0190": (400, "Full-ECS images can be created only from CBR backups."),
    "IMG.0191": (400, "Failed to query ECS flavors."),
    "IMG.0192": (400, "The flavor used to query images is invalid."),
    "IMG.0193": (400, "The vault is not a cloud server backup vault."),
    "IMG.0194": (400, "The maximum number of images that can be imported at one time has been reached."),
    "IMG.0195": (400, "Full-ECS images created from CBR backups must contain an OS."),
    "IMG.0196": (400, "The image cannot be replicated because it is not accepted by the recipient."),
    "IMG.0197": (400, "Failed to replicate the shared image because it is encrypted using KMS."),
    "IMG.0198": (400, "Backup ID does not match the backup type or does not exist."),
    "IMG.0212": (400, "The value of Architecture must be x86 or Arm."),
    "IMG.0238": (400, "Not real-name authentication."),
    "IMG.0239": (400, "Insufficient balance."),
    "IMG.0241": (400, "Incomplete payment information."),
    "IMG.0242": (400, "Insufficient budget of enterprise department."),
    "IMG.1075": (400, "Failed to register the image file."),
}

#: Paths whose errors use the flat shape: the tag APIs scoped by a project id in the path.
_FLAT_SHAPE_PATH = re.compile(r"^/v2/[^/]+/images(/|$)")

#: What the API gateway answers for a path no API serves.
UNKNOWN_API = ("APIGW.0101", "The API does not exist or has not been published in the environment.")


class ImsError(Exception):
    """A refusal with an error code; the status defaults to the documented one.

    A code of the error table always carries the table's message, whatever the situation: ``detail`` (why this
    refusal) is only logged, since the reference's error bodies have no field for it. A code outside the table
    (the gateway's ``APIGW.xxxx``) carries ``detail`` as its message.
    ``flat`` forces a body shape (True: ``error_code``/``error_msg``, False: ``error.code``/``error.message``);
    None lets the request path decide.
    """

    def __init__(self, code, detail=None, status=None, flat=None):
        documented_status, documented_message = ERROR_TABLE.get(code, (400, None))
        self.code = code
        self.detail = detail
        self.message = documented_message or detail or code
        self.status = status or documented_status
        self.flat = flat
        super().__init__("%s %s: %s" % (self.status, code, detail or self.message))


def uses_flat_shape(path):
    """Whether errors on this path use the flat ``error_code``/``error_msg`` body."""
    return bool(_FLAT_SHAPE_PATH.match(path))


def error_body(code, message, request_id=None, flat=False):
    """The JSON body of an error; the request id goes where each shape's parsers tolerate it."""
    if flat:
        body = {"error_code": code, "error_msg": message}
        if request_id:
            body["request_id"] = request_id
        return body
    inner = {"code": code, "message": message}
    if request_id:
        inner["request_id"] = request_id
    return {"error": inner}


def ims_error_response(request, exc, headers=None):
    """The JSON response for an ImsError raised while serving ``request``."""
    flat = uses_flat_shape(request.url.path) if exc.flat is None else exc.flat
    request_id = getattr(request.state, "request_id", None)
    if exc.detail and exc.detail != exc.message:
        LOG.info("%s %s refused with %s: %s", request.method, request.url.path, exc.code, exc.detail)
    return JSONResponse(error_body(exc.code, exc.message, request_id, flat), status_code=exc.status, headers=headers)


async def _on_ims_error(request, exc):
    return ims_error_response(request, exc)


#: What the other services say where the framework refuses, by HTTP status.
_FRAMEWORK_MESSAGES = {404: "The resource could not be found.", 405: "The method is not allowed for the requested URL."}


def _other_service(request):
    """``respond(status, message, headers)`` of the service other than IMS that serves the path (IAM, control), or None."""
    for owns, respond in request.app.state.error_shapes:
        if owns(request.url.path):
            return respond
    return None


async def _on_validation_error(request, exc):
    LOG.info("request validation failed on %s: %s", request.url.path, exc.errors())
    respond = _other_service(request)
    if respond:
        return respond(400, "The request is invalid.")
    return ims_error_response(request, ImsError("IMG.0001"))


async def _on_http_error(request, exc):
    respond = _other_service(request)
    if respond:
        return respond(exc.status_code, _FRAMEWORK_MESSAGES.get(exc.status_code, "The request is invalid."), exc.headers)
    if exc.status_code == 404:
        code, message = UNKNOWN_API
        return ims_error_response(request, ImsError(code, message, 404, flat=True))
    if exc.status_code == 405:
        return ims_error_response(request, ImsError("IMG.0105", status=405), headers=exc.headers)
    return ims_error_response(request, ImsError("IMG.0001", status=exc.status_code), headers=exc.headers)


async def _on_unexpected_error(request, exc):
    LOG.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    respond = _other_service(request)
    if respond:
        return respond(400, "The request could not be processed.")
    return ims_error_response(request, ImsError("IMG.0061"))


class GuardedRoute(APIRoute):
    """A route that turns an unexpected exception into an error answer inside the app (IMS-shaped, or in the shape
    of the service that serves the path); every router of the emulator uses it.

    An exception handler for ``Exception`` only runs in Starlette's outermost middleware, after every other
    middleware (request id, request log) has already seen an exception instead of a response.
    """

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def guarded(request):
            try:
                return await handler(request)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if _has_own_handler(request.app, exc):
                    raise
                return await _on_unexpected_error(request, exc)

        return guarded


def _has_own_handler(app, exc):
    """Whether one of the app's exception handlers other than the catch-all answers ``exc`` (an ImsError, an IAM or
    control refusal, a framework refusal)."""
    return any(isinstance(kind, type) and kind is not Exception and isinstance(exc, kind) for kind in app.exception_handlers)


def install_error_handlers(app, other_services=()):
    """Make every error of ``app`` an IMS-shaped JSON answer, except on the paths of ``other_services``: pairs of
    ``owns(path)`` and ``respond(status, message, headers=None)`` of the services that answer in their own shape."""
    app.state.error_shapes = tuple(other_services)
    app.add_exception_handler(ImsError, _on_ims_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
