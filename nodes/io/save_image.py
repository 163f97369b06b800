from __future__ import annotations

from stylegraph.graph.context import NodeContext, NodeError
from stylegraph.graph.spec import NodeType, Param, ParamType, Port, PortType
from stylegraph.nodes.functional.image_io import EXTENSIONS, encode_to_temp, place_file
from stylegraph.nodes.functional.recipe_metadata import RecipeError, save_args_for


def run(ctx: NodeContext, inputs: dict, params: dict) -> dict:
    image = inputs["image"]
    fmt = params["format"]
    directory = ctx.output_dir / params["directory"]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NodeError(f"cannot create the output folder {directory}: {exc.strerror}") from None
    save_args: dict = {}
    if params["embed_recipe"] and ctx.recipe is not None:
        try:
            save_args = save_args_for(fmt, ctx.recipe)
        except RecipeError as exc:
            raise NodeError(str(exc)) from None
    if fmt == "jpeg" and image.shape[2] == 4:
        ctx.warn("JPEG has no transparency: the image was flattened onto white")
    try:
        tmp = encode_to_temp(image, directory, fmt, params["quality"], save_args)
        written = place_file(
            tmp, directory / f"{params['filename']}{EXTENSIONS[fmt]}", params["overwrite"]
        )
    except OSError as exc:
        raise NodeError(f"cannot write into {directory}: {exc}") from None
    return {"path": str(written)}


NODE = NodeType(
    type_id="image.save",
    display_name="Save Image",
    category="input/output",
    description="Writes the image into the run's output folder, with the recipe that made it "
    "embedded in the file. Never overwrites silently: an existing name gets a number unless "
    "'overwrite' is on. The file appears whole or not at all.",
    run=run,
    side_effect=True,
    inputs=(Port("image", PortType.IMAGE),),
    outputs=(Port("path", PortType.TEXT, "The file that was written."),),
    params=(
        Param("filename", ParamType.FILE_NAME, "stylegraph", help="File name without extension."),
        Param(
            "directory",
            ParamType.OUTPUT_DIR,
            "",
            help="Sub-folder of the output folder; empty for the output folder itself.",
        ),
        Param("format", ParamType.CHOICE, "png", choices=tuple(EXTENSIONS)),
        Param("quality", ParamType.INT, 95, minimum=1, maximum=100, help="JPEG and WebP quality."),
        Param(
            "overwrite",
            ParamType.BOOL,
            False,
            help="Replace an existing file of the same name instead of numbering.",
        ),
        Param(
            "embed_recipe",
            ParamType.BOOL,
            True,
            help="Store the graph and its inputs in the file (see `stylegraph recipe`).",
        ),
    ),
)
