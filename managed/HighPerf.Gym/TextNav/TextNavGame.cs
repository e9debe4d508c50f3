using System.Text;

namespace HighPerf.Gym.TextNav;

/// <summary>The Text-Nav game state and its command interpreter (a native re-implementation of the benchmark's
/// TextWorld "house" game, spec §2.2). Deterministic: the only randomness is the spawn room chosen at reset.</summary>
public sealed class TextNavGame
{
    public const string Objective = "Your objective is to put the stale food on the table in the living room into the fridge in the kitchen.";
    public const string NoSuchThing = "You can't see any such thing.";
    public const string WinText = "Your score has just gone up by one point.\n\n*** The End ***";
    public const string LoseText = "*** You lost! ***";

    private readonly Place[] _place = new Place[TextNavWorld.ItemCount];
    private readonly Room[] _placeRoom = new Room[TextNavWorld.ItemCount]; // for Table/Floor

    public TextNavGame(Room spawn) => Reset(spawn);

    public Room Player { get; private set; }
    public bool FridgeOpen { get; private set; }
    public bool ChestOpen { get; private set; }
    public bool Won { get; private set; }
    public bool Lost { get; private set; }
    public bool Over => Won || Lost;

    public Place PlaceOf(Item item) => _place[(int)item];

    /// <summary>The room of an item on a table or floor (meaningful for those places only).</summary>
    public Room RoomOf(Item item) => _placeRoom[(int)item];

    public void Reset(Room spawn)
    {
        Player = spawn;
        FridgeOpen = ChestOpen = Won = Lost = false;
        Put(Item.StaleFood, Place.Table, Room.LivingRoom);
        Put(Item.FreshFood, Place.Table, Room.LivingRoom);
        Put(Item.Bowl, Place.Table, Room.Bedroom);
        Put(Item.CoffeeCup, Place.Table, Room.DiningRoom);
        Put(Item.Plate, Place.Table, Room.DiningRoom);
        Put(Item.Utensils, Place.Chest, Room.Office);
        Put(Item.Fruit, Place.Fridge, Room.Kitchen);
    }

    private void Put(Item item, Place place, Room room)
    {
        _place[(int)item] = place;
        _placeRoom[(int)item] = room;
    }

    private bool IsOpen(Place container) => container == Place.Fridge ? FridgeOpen : ChestOpen;

    private IEnumerable<Item> ItemsAt(Place place, Room? room = null)
    {
        for (var i = 0; i < TextNavWorld.ItemCount; i++)
            if (_place[i] == place && (room is null || _placeRoom[i] == room)) yield return (Item)i;
    }

    public IEnumerable<Item> Inventory => ItemsAt(Place.Inventory);

    /// <summary>The room description; <paramref name="showLocation"/> is FO's display_location.</summary>
    public string DescribeRoom(bool showLocation)
    {
        var parts = new List<string>();
        if (showLocation) parts.Add($"You are in the {TextNavWorld.Name(Player)}.");
        if (TextNavWorld.HasTable(Player))
        {
            var on = ItemsAt(Place.Table, Player).ToList();
            parts.Add(on.Count == 0 ? "You make out a table, but the table is empty." : $"You make out a table. On the table you can see {List(on)}.");
        }
        if (TextNavWorld.ContainerIn(Player) is { } c)
        {
            var name = TextNavWorld.ContainerName(c);
            if (!IsOpen(c)) parts.Add($"You can see a closed {name}.");
            else
            {
                var inside = ItemsAt(c).ToList();
                parts.Add(inside.Count == 0 ? $"You can see an open {name}, which is empty." : $"You can see an open {name}. In the {name} you can see {List(inside)}.");
            }
        }
        var floor = ItemsAt(Place.Floor, Player).ToList();
        if (floor.Count == 1) parts.Add($"There is {List(floor)} on the floor.");
        else if (floor.Count > 1) parts.Add($"There are {List(floor)} on the floor.");
        var exits = TextNavWorld.Exits(Player).Select(TextNavWorld.Name).ToList();
        parts.Add(exits.Count == 1 ? $"There is an unblocked exit to the {exits[0]}." : $"There are unblocked exits to the {Join(exits)}.");
        return string.Join(" ", parts);
    }

    /// <summary>FO's display_inventory text.</summary>
    public string DescribeInventory()
    {
        var held = Inventory.ToList();
        return held.Count == 0 ? "You are carrying nothing." : $"You are carrying: {List(held)}.";
    }

    /// <summary>Admissible commands, sorted (look/examine/inventory are never listed, as the benchmark filters them).</summary>
    public List<string> AdmissibleCommands()
    {
        var cmds = new List<string>();
        if (Over) return cmds;
        foreach (var d in TextNavWorld.Exits(Player)) cmds.Add("go " + TextNavWorld.Name(d));
        var container = TextNavWorld.ContainerIn(Player);
        if (container is { } c)
        {
            var name = TextNavWorld.ContainerName(c);
            if (IsOpen(c))
            {
                cmds.Add("close " + name);
                foreach (var i in ItemsAt(c)) cmds.Add($"take {TextNavWorld.Name(i)} from {name}");
            }
            else cmds.Add("open " + name);
        }
        var table = TextNavWorld.HasTable(Player);
        if (table)
            foreach (var i in ItemsAt(Place.Table, Player)) cmds.Add($"take {TextNavWorld.Name(i)} from table");
        foreach (var i in ItemsAt(Place.Floor, Player)) cmds.Add("take " + TextNavWorld.Name(i));
        foreach (var i in Inventory)
        {
            var n = TextNavWorld.Name(i);
            cmds.Add("drop " + n);
            if (TextNavWorld.IsEdible(i)) cmds.Add("eat " + n);
            if (table) cmds.Add($"put {n} on table");
            if (container is { } oc && IsOpen(oc)) cmds.Add($"insert {n} into {TextNavWorld.ContainerName(oc)}");
        }
        cmds.Sort(StringComparer.Ordinal);
        return cmds;
    }

    /// <summary>Executes one command (free text; case and surrounding whitespace are ignored). Returns the feedback and
    /// whether the win quest completed on this command. Unparseable or impossible commands change nothing.</summary>
    public string Execute(string command, out bool wonNow)
    {
        wonNow = false;
        if (Over) throw new InvalidOperationException("the game is over");
        var words = command.Trim().ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return NoSuchThing;
        var text = string.Join(' ', words);
        var verb = words[0];
        var rest = text.Length > verb.Length ? text[(verb.Length + 1)..] : "";
        string feedback;
        switch (verb)
        {
            case "go":
                feedback = Go(rest);
                break;
            case "take":
                feedback = Take(rest);
                break;
            case "open":
            case "close":
                feedback = OpenClose(rest, verb == "open");
                break;
            case "insert":
                feedback = Insert(rest);
                break;
            case "put":
                feedback = PutOn(rest);
                break;
            case "drop":
                feedback = Drop(rest);
                break;
            case "eat":
                feedback = Eat(rest);
                break;
            default:
                feedback = NoSuchThing;
                break;
        }
        if (!Lost && !Won && _place[(int)Item.StaleFood] == Place.Fridge && !FridgeOpen)
        {
            Won = wonNow = true;
            feedback += "\n\n" + WinText;
        }
        return feedback;
    }

    private string Go(string dir)
    {
        Direction? d = dir switch { "north" => Direction.North, "south" => Direction.South, "east" => Direction.East, "west" => Direction.West, _ => null };
        if (d is null) return NoSuchThing;
        if (TextNavWorld.Exit(Player, d.Value) is not { } next) return "You can't go that way.";
        Player = next;
        return DescribeRoom(showLocation: ShowLocation);
    }

    /// <summary>Set by the environment: whether room descriptions name the room (FO).</summary>
    public bool ShowLocation { get; set; } = true;

    private static Item? ParseItem(string s)
    {
        for (var i = 0; i < TextNavWorld.ItemCount; i++)
            if (TextNavWorld.Name((Item)i) == s) return (Item)i;
        return null;
    }

    private bool Here(Item item, Place place) => _place[(int)item] == place && (place is not (Place.Table or Place.Floor) || _placeRoom[(int)item] == Player);

    private string Take(string rest)
    {
        var at = rest.IndexOf(" from ", StringComparison.Ordinal);
        if (at < 0)
        {
            if (ParseItem(rest) is { } floorItem && Here(floorItem, Place.Floor))
            {
                Put(floorItem, Place.Inventory, Player);
                return $"You pick up the {rest} from the ground.";
            }
            return NoSuchThing;
        }
        var itemText = rest[..at];
        var holder = rest[(at + 6)..];
        if (ParseItem(itemText) is not { } item) return NoSuchThing;
        switch (holder)
        {
            case "table" when TextNavWorld.HasTable(Player) && Here(item, Place.Table):
                Put(item, Place.Inventory, Player);
                return $"You take the {itemText} from the table.";
            case "fridge" or "chest":
                var c = holder == "fridge" ? Place.Fridge : Place.Chest;
                if (TextNavWorld.ContainerIn(Player) != c || !IsOpen(c) || _place[(int)item] != c) return NoSuchThing;
                Put(item, Place.Inventory, Player);
                return $"You take the {itemText} from the {holder}.";
            default:
                return NoSuchThing;
        }
    }

    private string OpenClose(string target, bool open)
    {
        Place? c = target switch { "fridge" => Place.Fridge, "chest" => Place.Chest, _ => null };
        if (c is null || TextNavWorld.ContainerIn(Player) != c) return NoSuchThing;
        if (IsOpen(c.Value) == open) return open ? "That is already open." : "That is already closed.";
        if (c == Place.Fridge) FridgeOpen = open;
        else ChestOpen = open;
        if (!open) return $"You close the {target}.";
        var inside = ItemsAt(c.Value).ToList();
        return inside.Count == 0 ? $"You open the {target}." : $"You open the {target}, revealing {List(inside)}.";
    }

    private string Insert(string rest)
    {
        var at = rest.IndexOf(" into ", StringComparison.Ordinal);
        if (at < 0 || ParseItem(rest[..at]) is not { } item || _place[(int)item] != Place.Inventory) return NoSuchThing;
        var target = rest[(at + 6)..];
        Place? c = target switch { "fridge" => Place.Fridge, "chest" => Place.Chest, _ => null };
        if (c is null || TextNavWorld.ContainerIn(Player) != c) return NoSuchThing;
        if (!IsOpen(c.Value)) return $"You have to open the {target} first.";
        Put(item, c.Value, Player);
        return $"You put the {rest[..at]} into the {target}.";
    }

    private string PutOn(string rest)
    {
        var at = rest.IndexOf(" on ", StringComparison.Ordinal);
        if (at < 0 || rest[(at + 4)..] != "table" || !TextNavWorld.HasTable(Player)) return NoSuchThing;
        if (ParseItem(rest[..at]) is not { } item || _place[(int)item] != Place.Inventory) return NoSuchThing;
        Put(item, Place.Table, Player);
        return $"You put the {rest[..at]} on the table.";
    }

    private string Drop(string rest)
    {
        if (ParseItem(rest) is not { } item || _place[(int)item] != Place.Inventory) return NoSuchThing;
        Put(item, Place.Floor, Player);
        return $"You drop the {rest} on the ground.";
    }

    private string Eat(string rest)
    {
        if (ParseItem(rest) is not { } item || _place[(int)item] != Place.Inventory) return NoSuchThing;
        if (!TextNavWorld.IsEdible(item)) return "That's plainly inedible.";
        _place[(int)item] = Place.Eaten;
        if (item == Item.StaleFood)
        {
            Lost = true;
            return $"You eat the {rest}. Not bad.\n\n{LoseText}";
        }
        return $"You eat the {rest}. Not bad.";
    }

    /// <summary>"a X", "a X and a Y", "a X, a Y and a Z".</summary>
    private static string List(IReadOnlyList<Item> items) => Join(items.Select(TextNavWorld.WithArticle).ToList());

    private static string Join(IReadOnlyList<string> parts)
    {
        if (parts.Count == 1) return parts[0];
        var sb = new StringBuilder();
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0) sb.Append(i == parts.Count - 1 ? " and " : ", ");
            sb.Append(parts[i]);
        }
        return sb.ToString();
    }
}
