"""Another implementation of SRS, python3-srs (pysrs, after Mail::SRS), to check ours against.

usage: pysrs.py SECRET forward SENDER ALIAS   prints the SRS address SENDER gets when ALIAS forwards
       pysrs.py SECRET reverse ADDRESS        prints the original sender, or exits 1 if ADDRESS is
                                              not a valid SRS address made with SECRET
"""
import sys

import SRS


def main():
    secret, command, *addresses = sys.argv[1:]
    srs = SRS.new(secret=secret, maxage=21, hashlength=4)
    if command == "forward":
        print(srs.forward(addresses[0], addresses[1]))
        return
    try:
        print(srs.reverse(addresses[0]))
    except (AssertionError, ValueError) as error:
        sys.exit(f"not reversed: {error}")


if __name__ == "__main__":
    main()
