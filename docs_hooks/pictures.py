"""mkdocs hook: draw the picture of every catalog entry when the site is built.

``docs/catalog.md`` (from ``neurogebra catalog``) shows ``pictures/NAME.png``
under each function; this hook renders those PNGs (the function and its first
derivative, ``neurogebra.render.picture_png``) into the built site, so no
image is committed and each always matches the registry.
"""

from mkdocs.structure.files import File

from neurogebra import MathForge
from neurogebra.render import has_picture, picture_png

FOLDER = "pictures"


def on_files(files, config):
    forge = MathForge(plugins="builtin")
    for name in forge.list_all():
        expression = forge.get(name)
        if has_picture(expression):
            files.append(File.generated(config, f"{FOLDER}/{name}.png",
                                        content=picture_png(expression)))
    return files
